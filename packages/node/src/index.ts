/**
 * The node that applications embed: share files, discover peers, download, stream and seed.
 *
 * This package has no public API yet.
 *
 * @packageDocumentation
 */
export {}
