/**
 * Transmission's torrent ids: small integers the daemon gives its shares,
 * in the order it first sees them, kept for as long as it runs (a removed
 * share's id is not given again).
 */
export class TorrentIds {
  private readonly byInfohash = new Map<string, number>()
  private readonly byId = new Map<number, string>()
  private next = 1

  /**
   * The id of a share, given now if it has none.
   *
   * @param infohash - hex
   * @returns its id
   */
  idOf(infohash: string): number {
    let id = this.byInfohash.get(infohash)
    if (id === undefined) {
      id = this.next++
      this.byInfohash.set(infohash, id)
      this.byId.set(id, infohash)
    }
    return id
  }

  /**
   * The share of an id.
   *
   * @param id - a torrent id
   * @returns its infohash (hex), if it was given
   */
  infohashOf(id: number): string | undefined {
    return this.byId.get(id)
  }

  /** Forgets a removed share (its id is not given again). */
  forget(infohash: string): void {
    const id = this.byInfohash.get(infohash)
    if (id === undefined) return
    this.byInfohash.delete(infohash)
    this.byId.delete(id)
  }
}
