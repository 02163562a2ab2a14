/**
 * Where a share's files live, and the checks that keep every path inside
 * its root folder: each component re-checked (no `..`, separators, NUL or
 * absolute paths), every folder on the way checked with `lstat` (a symbolic
 * link placed inside the folder is refused, never followed), and files
 * opened with `O_NOFOLLOW`.
 * @internal
 * @module
 */
import { basename, dirname, join, sep } from 'node:path'
import type { Manifest } from '@mycel/pieces'
import { StoreError } from '../../errors.js'
import type { FileSystem } from './file-system.js'
import { fsError } from './fs-errors.js'

/** Where a share's files are, below a root folder that everything must stay inside. */
export interface ShareLayout {
  /** The root folder (a real path, no symbolic link in it). */
  readonly root: string
  /** Path components, below the root, of the share's content: its folder, or its single file. */
  readonly content: readonly string[]
  /** Path components, below the root, of each file of the manifest. */
  readonly files: readonly (readonly string[])[]
}

/**
 * A download's layout: a folder share at `<root>/<name>/<path...>`, a
 * single-file share at `<root>/<path[0]>` (libtorrent's layout; for shares
 * mycel makes, `path[0]` is the name).
 */
export function downloadLayout(manifest: Manifest, root: string): ShareLayout {
  if (manifest.singleFile) {
    const path = manifest.files[0]?.path ?? []
    return { root, content: path, files: [path] }
  }
  return {
    root,
    content: [manifest.name],
    files: manifest.files.map((file) => [manifest.name, ...file.path]),
  }
}

/** A seed's layout: the files where they are, below the shared folder, or the shared file itself. */
export function seedLayout(manifest: Manifest, realContentPath: string): ShareLayout {
  if (manifest.singleFile) {
    const name = basename(realContentPath)
    return { root: dirname(realContentPath), content: [name], files: [[name]] }
  }
  return { root: realContentPath, content: [], files: manifest.files.map((file) => file.path) }
}

/** Refuses a path component that could leave its folder. */
function assertSafeComponent(component: string, path: readonly string[]): void {
  if (
    typeof component !== 'string' ||
    component.length === 0 ||
    component === '.' ||
    component === '..' ||
    /[/\\\0]/.test(component)
  ) {
    throw new StoreError(
      'PATH_ESCAPE',
      `refusing path ${JSON.stringify(path.join('/'))}: component ${JSON.stringify(component)} could leave the folder`,
    )
  }
}

/**
 * The absolute path of components below a root, after checking every
 * component and that the result is inside the root.
 */
export function pathInside(root: string, components: readonly string[]): string {
  for (const component of components) assertSafeComponent(component, components)
  const path = join(root, ...components)
  const prefix = root.endsWith(sep) ? root : root + sep
  if (components.length > 0 && !path.startsWith(prefix)) {
    throw new StoreError('PATH_ESCAPE', `refusing ${path}: it is outside ${root}`)
  }
  return path
}

/**
 * Checks every folder from the root down to `folders` (components below
 * the root): each must be a real folder, not a symbolic link and not a file.
 * A missing folder is created when `create` is set, else reported as
 * `DATA_MISSING`.
 */
export async function checkFolders(
  fs: FileSystem,
  root: string,
  folders: readonly string[],
  create: boolean,
): Promise<void> {
  let path = root
  for (let depth = 0; depth < folders.length; depth++) {
    path = join(path, folders[depth] as string)
    let found = await fs.lstat(path).catch((err: unknown) => {
      throw fsError(err, 'check', path)
    })
    if (found === undefined && create) {
      try {
        await fs.mkdir(path)
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'EEXIST') throw fsError(err, 'create', path)
      }
      found = await fs.lstat(path).catch((err: unknown) => {
        throw fsError(err, 'check', path)
      })
    }
    if (found === undefined) throw new StoreError('DATA_MISSING', `folder ${path} is missing`)
    if (found.isSymbolicLink) {
      throw new StoreError('PATH_ESCAPE', `refusing ${path}: it is a symbolic link, which could lead outside ${root}`)
    }
    if (!found.isDirectory) throw new StoreError('PATH_CONFLICT', `${path} should be a folder but is a file`)
  }
}
