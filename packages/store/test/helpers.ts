import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Manifest } from '@mycel/pieces'
import { expect } from 'vitest'
import { StoreError, type StoreErrorCode } from '../src/index.js'

const made: string[] = []

/** A new empty folder under the system temp folder, removed by {@link removeTempDirs}. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mycel-store-'))
  made.push(dir)
  return dir
}

/** Removes every folder {@link tempDir} made. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
}

/** Writes a share's files as a user's folder (or single file) under `parent`; returns the content path. */
export async function writeShareFiles(
  parent: string,
  manifest: Manifest,
  files: readonly Uint8Array[],
): Promise<string> {
  const content = join(parent, manifest.singleFile ? (manifest.files[0]?.path[0] as string) : manifest.name)
  for (const [index, file] of manifest.files.entries()) {
    const path = manifest.singleFile ? content : join(content, ...file.path)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, files[index] as Uint8Array)
  }
  return content
}

/** The code of the StoreError a promise rejects with, or what happened instead. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    return err instanceof StoreError ? err.code : `not a StoreError: ${String(err)}`
  }
  return 'resolved'
}

/** Asserts that a promise rejects with a StoreError of `code`; returns the error's message. */
export async function expectStoreError(promise: Promise<unknown>, code: StoreErrorCode): Promise<string> {
  let caught: unknown
  try {
    await promise
  } catch (err) {
    caught = err
  }
  expect(caught instanceof StoreError ? caught.code : `not a StoreError: ${String(caught)}`).toBe(code)
  return (caught as StoreError).message
}
