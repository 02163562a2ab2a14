/**
 * BitTorrent v2 content addressing: per-file SHA-256 Merkle trees, manifests (info dict and piece layers), magnet links, .torrent export, bitfields and piece picking.
 *
 * This package has no public API yet.
 *
 * @packageDocumentation
 */
export {}
