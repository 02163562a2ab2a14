import { useEffect, useRef } from 'preact/hooks'

/** Width of the map in CSS pixels; pieces share it (several per cell for a large share). */
const WIDTH = 600
const CELL = 6

/**
 * Decodes a base64 BEP 3 bitfield.
 *
 * @param base64 - what `pieces` answers
 * @returns its bytes
 */
export function bitfieldBytes(base64: string): Uint8Array {
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
}

/**
 * @param bytes - a BEP 3 bitfield
 * @param piece - an index
 * @returns whether the piece is set
 */
export function hasPiece(bytes: Uint8Array, piece: number): boolean {
  return (((bytes[piece >> 3] ?? 0) >> (7 - (piece & 7))) & 1) === 1
}

/**
 * The verified pieces of a share on a canvas, in order, one cell per piece
 * (or per run of pieces in a large share: the cell is as green as the
 * fraction of its pieces verified).
 */
export function PieceMap(props: { bitfield: string; pieceCount: number }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const columns = WIDTH / CELL
  const cells = Math.min(props.pieceCount, columns * 20)
  const rows = Math.max(1, Math.ceil(cells / columns))
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (context === undefined || context === null) return
    const bytes = bitfieldBytes(props.bitfield)
    const perCell = props.pieceCount / Math.max(1, cells)
    context.clearRect(0, 0, WIDTH, rows * CELL)
    for (let cell = 0; cell < cells; cell++) {
      const first = Math.floor(cell * perCell)
      const last = Math.max(first + 1, Math.floor((cell + 1) * perCell))
      let have = 0
      for (let piece = first; piece < last; piece++) if (hasPiece(bytes, piece)) have++
      const fraction = have / (last - first)
      context.fillStyle = fraction === 0 ? '#d9dde3' : `rgba(46, 160, 67, ${0.35 + 0.65 * fraction})`
      context.fillRect((cell % columns) * CELL, Math.floor(cell / columns) * CELL, CELL - 1, CELL - 1)
    }
  }, [props.bitfield, props.pieceCount, cells, rows, columns])
  return (
    <canvas
      class="piece-map"
      ref={canvas}
      width={WIDTH}
      height={rows * CELL}
      role="img"
      aria-label={`piece map of ${props.pieceCount} pieces`}
    />
  )
}
