import { describe, expect, it } from 'vitest'
import { ManualClock, MemoryNetwork } from '../src/testing.js'

describe('ManualClock', () => {
  it('fires timers in time order, only when advanced, and not once cleared', async () => {
    const clock = new ManualClock(1000)
    const fired: string[] = []
    clock.setTimeout(() => fired.push('b'), 20)
    clock.setTimeout(() => fired.push('a'), 10)
    const cancelled = clock.setTimeout(() => fired.push('never'), 15)
    clock.setTimeout(() => fired.push('c'), 20)
    clock.clearTimeout(cancelled)
    expect(clock.pendingTimers).toBe(3)
    await clock.advance(5)
    expect(fired).toEqual([])
    await clock.advance(20)
    expect(fired).toEqual(['a', 'b', 'c'])
    expect(clock.now()).toBe(1025)
  })

  it('lets promise callbacks run between instants', async () => {
    const clock = new ManualClock()
    const order: string[] = []
    clock.setTimeout(() => {
      Promise.resolve().then(() => {
        order.push('microtask')
        clock.setTimeout(() => order.push('chained'), 0)
      })
    }, 10)
    clock.setTimeout(() => order.push('later'), 11)
    await clock.advance(20)
    expect(order).toEqual(['microtask', 'chained', 'later'])
  })

  it('run() jumps over idle time until the promise settles, and gives up when nothing is scheduled', async () => {
    const clock = new ManualClock()
    const slow = new Promise<string>((resolve) => clock.setTimeout(() => resolve('done'), 3_600_000 - 1))
    expect(await clock.run(slow)).toBe('done')
    await expect(clock.run(new Promise(() => {}))).rejects.toThrow(/no timer/)
    clock.setTimeout(() => {}, 10_000)
    await expect(clock.run(new Promise(() => {}), { maxTime: 1000 })).rejects.toThrow(/maxTime/)
  })
})

describe('MemoryNetwork', () => {
  it('delivers copies after the latency, to the right address only', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock, latency: { min: 10, max: 20 } })
    const a = network.createSocket()
    const b = network.createSocket({ host: '192.0.2.1' })
    expect(a.localAddress).toEqual({ host: '10.0.0.1', port: 6881 })
    expect(b.localAddress.port).toBeGreaterThanOrEqual(49152)
    expect(() => network.createSocket({ host: '192.0.2.1', port: b.localAddress.port })).toThrow(/in use/)
    const got: [number[], string][] = []
    b.onDatagram((bytes, from) => got.push([[...bytes], `${from.host}:${from.port}`]))
    const payload = new Uint8Array([1, 2, 3])
    a.send(payload, b.localAddress)
    payload[0] = 9
    a.send(payload, { host: '192.0.2.99', port: 1 })
    await clock.advance(9)
    expect(got).toEqual([])
    await clock.advance(11)
    expect(got).toEqual([[[1, 2, 3], '10.0.0.1:6881']])
    expect(network.stats).toEqual({ sent: 2, delivered: 1, lost: 0, undeliverable: 1 })
  })

  it('loses datagrams at the loss rate and takes sockets offline (churn)', async () => {
    const clock = new ManualClock()
    const network = new MemoryNetwork({ clock, loss: 1 })
    const sockets = Array.from({ length: 10 }, () => network.createSocket())
    let received = 0
    for (const socket of sockets) socket.onDatagram(() => received++)
    ;(sockets[0] as (typeof sockets)[0]).send(new Uint8Array(1), (sockets[1] as (typeof sockets)[0]).localAddress)
    await clock.advance(1)
    expect(received).toBe(0)
    network.setLoss(0)
    const gone = network.churn(0.3, { spare: [(sockets[0] as (typeof sockets)[0]).localAddress] })
    expect(gone.length).toBe(3)
    for (const address of gone) expect(network.isOnline(address)).toBe(false)
    for (const socket of sockets.slice(1))
      (sockets[0] as (typeof sockets)[0]).send(new Uint8Array(1), socket.localAddress)
    await clock.advance(1)
    expect(received).toBe(6)
    network.heal()
    expect(network.isOnline(gone[0] as (typeof gone)[0])).toBe(true)
    await Promise.all(sockets.map((socket) => socket.close()))
    expect(network.size).toBe(0)
    expect(() => network.setLoss(2)).toThrow(RangeError)
    expect(() => network.setLatency({ min: 5, max: 1 })).toThrow(RangeError)
  })
})
