/**
 * A Kademlia DHT that speaks Mainline KRPC (BEP 5 and BEP 44), over UDP or an in-memory simulated network.
 *
 * This package has no public API yet.
 *
 * @packageDocumentation
 */
export {}
