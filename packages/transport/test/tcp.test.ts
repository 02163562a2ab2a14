import { tcpTransport } from '../src/tcp.js'
import { transportCompliance } from '../src/testing.js'

transportCompliance('tcp', () => ({ transport: tcpTransport(), listenAddress: 'tcp://127.0.0.1:0' }))
transportCompliance('tcp over IPv6 loopback', () => ({ transport: tcpTransport(), listenAddress: 'tcp://[::1]:0' }), {
  largeTransferBytes: 2 * 1024 * 1024,
  concurrentConnections: 10,
})
