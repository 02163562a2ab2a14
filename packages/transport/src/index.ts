/**
 * Peer identities (Ed25519), the Noise_XX_25519_ChaChaPoly_SHA256 secure channel, and transports (TCP, WebSocket, memory) behind one interface.
 *
 * This package has no public API yet.
 *
 * @packageDocumentation
 */
export {}
