import { describe, expect, it } from 'vitest'
import type { FileStamp } from '../src/content.js'
import { STAMPS_AT_ONCE, stampFiles } from '../src/content-watch.js'

describe('stamps of a share of many files', () => {
  it('looks at several files at once, at most STAMPS_AT_ONCE, and gives the stamps in file order', async () => {
    const count = 200
    const files = Array.from({ length: count }, (_, index) => ({
      path: `/share/${index}`,
      fileIndex: index,
      firstPiece: index,
      pieceCount: 1,
    }))
    let inFlight = 0
    let peak = 0
    const waiting: (() => void)[] = []
    const stamps = stampFiles({
      files,
      stamp: async (path): Promise<FileStamp> => {
        inFlight++
        peak = Math.max(peak, inFlight)
        // answered last asked first, whenever the queue is full or the last ones wait
        await new Promise<void>((resolve) => waiting.push(resolve))
        inFlight--
        const index = Number(path.slice('/share/'.length))
        return index % 10 === 9 ? null : [index, index * 2, index * 3, index * 4]
      },
    })
    while (waiting.length > 0 || inFlight > 0) {
      await new Promise((resolve) => setImmediate(resolve))
      for (const resolve of waiting.splice(0).reverse()) resolve()
    }
    const result = await stamps
    expect(peak).toBe(STAMPS_AT_ONCE)
    expect(result).toEqual(
      Array.from({ length: count }, (_, index) => (index % 10 === 9 ? null : [index, index * 2, index * 3, index * 4])),
    )
  })
})
