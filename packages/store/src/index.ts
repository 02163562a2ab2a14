/**
 * Piece storage (memory, file system) and state storage (memory, SQLite) behind the PieceStore and StateStore interfaces.
 *
 * This package has no public API yet.
 *
 * @packageDocumentation
 */
export {}
