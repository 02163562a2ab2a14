/**
 * Direct writes (`O_DIRECT`): the bytes of a verified piece go from memory
 * to the disk without being copied into the kernel's page cache. A download
 * never reads its pieces back right away (they were hashed in memory), so
 * the copy buys nothing, and it costs: on a virtual machine whose host takes
 * back the guest's free memory, storing 1 GiB through the page cache cost
 * 2.5 to 4.3 s of CPU, and 0.3 s with direct writes (docs/decisions.md).
 *
 * The kernel takes a direct write only from a buffer whose address, file
 * offset and length are multiples of the device's block size. JavaScript
 * cannot choose where a `Buffer` lives, but the memory of a
 * `WebAssembly.Memory` starts on a page boundary, so the store copies a
 * piece into a slot of such memory and writes from there.
 * @internal
 * @module
 */
import { constants } from 'node:fs'

/** `O_DIRECT` of this system; undefined where there is none (macOS, Windows). */
export const O_DIRECT: number | undefined = constants.O_DIRECT

/**
 * Offsets, lengths and buffer addresses of direct writes are multiples of
 * this: 4 KiB covers devices with 512-byte and 4 KiB blocks.
 */
export const DIRECT_ALIGNMENT = 4096

/** The part of `WebAssembly` used here (Node's types do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer
}
const wasm = (globalThis as { WebAssembly?: { Memory: new (descriptor: { initial: number }) => WasmMemory } })
  .WebAssembly

/**
 * Writes shorter than this go through the page cache even when direct
 * writes are on. A direct write waits for the disk, so many small ones in
 * random order are bound by how many writes the disk does per second (16 KiB
 * pieces: about 100 MiB/s on this machine's SSD, a few MiB/s on a spinning
 * disk), where the page cache would have gathered them. Large writes are
 * bound by bandwidth, and there the saved copy counts. With the default
 * piece lengths, shares from about 1 GiB up have pieces this long.
 */
export const DIRECT_MIN_BYTES = 1024 * 1024

/** Bytes of one slot: a piece is written in chunks of this size at most. */
const SLOT_BYTES = 1024 * 1024
/** Slots shared by every store of the process; a write finding none free goes through the page cache. */
const SLOTS = 8
const WASM_PAGE_BYTES = 65536

/**
 * Page-aligned buffers for direct writes, taken and given back. Never
 * waits: when every slot is in use, {@link take} returns undefined and the
 * caller writes the ordinary way.
 */
export class AlignedBuffers {
  /** Bytes in each slot. */
  readonly slotBytes: number
  private readonly free: Uint8Array[] = []

  /**
   * @param slotBytes - size of each slot, a multiple of 64 KiB
   * @param slots - how many
   * @throws when the memory cannot be had (`WebAssembly` missing or refused)
   */
  constructor(slotBytes = SLOT_BYTES, slots = SLOTS) {
    if (slotBytes % WASM_PAGE_BYTES !== 0) throw new RangeError('slotBytes must be a multiple of 64 KiB')
    this.slotBytes = slotBytes
    // Never grown: growing would detach the buffer under writes in flight.
    if (wasm === undefined) throw new Error('no WebAssembly memory in this runtime')
    const memory = new wasm.Memory({ initial: (slotBytes / WASM_PAGE_BYTES) * slots })
    for (let i = 0; i < slots; i++) this.free.push(new Uint8Array(memory.buffer, i * slotBytes, slotBytes))
  }

  /** A free slot, or undefined when all are in use. */
  take(): Uint8Array | undefined {
    return this.free.pop()
  }

  /** Gives a slot back. */
  give(slot: Uint8Array): void {
    this.free.push(slot)
  }
}

let shared: AlignedBuffers | null | undefined

/**
 * The process's aligned buffers, made on first use; undefined where direct
 * writes cannot be done (no `O_DIRECT`, no WebAssembly memory).
 */
export function sharedAlignedBuffers(): AlignedBuffers | undefined {
  if (shared === undefined) {
    try {
      shared = O_DIRECT === undefined ? null : new AlignedBuffers()
    } catch {
      shared = null
    }
  }
  return shared ?? undefined
}
