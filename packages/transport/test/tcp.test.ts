import * as vitest from 'vitest'
import { tcpTransport } from '../src/tcp.js'
import { transportCompliance } from '../src/testing.js'

transportCompliance(vitest, 'tcp', () => ({ transport: tcpTransport(), listenAddress: 'tcp://127.0.0.1:0' }))
transportCompliance(
  vitest,
  'tcp over IPv6 loopback',
  () => ({ transport: tcpTransport(), listenAddress: 'tcp://[::1]:0' }),
  {
    largeTransferBytes: 2 * 1024 * 1024,
    concurrentConnections: 10,
  },
)
