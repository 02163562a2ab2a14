import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Temporary folders of a test file, removed by {@link Scratch.cleanup}. */
export class Scratch {
  private readonly dirs: string[] = []

  /** A new temporary folder. */
  async dir(prefix = 'mycel-tracker-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  /** A file of random bytes; returns its path. */
  async file(dir: string, name: string, size: number): Promise<string> {
    const path = join(dir, name)
    await writeFile(path, randomBytes(size))
    return path
  }

  /** Removes every folder made. */
  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
  }
}
