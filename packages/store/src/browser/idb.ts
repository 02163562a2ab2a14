/**
 * Promises over IndexedDB requests and transactions, and opening a database.
 * @internal
 * @module
 */

/** The result of one request. @internal */
export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

/** Resolves when the transaction commits; rejects when it aborts or fails. @internal */
export function transactionDone(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve()
    transaction.onerror = () => reject(transaction.error)
    transaction.onabort = () => reject(transaction.error ?? new DOMException('transaction aborted', 'AbortError'))
  })
}

/** The global IndexedDB factory, or undefined where there is none (Node, some private modes). @internal */
export function indexedDbFactory(): IDBFactory | undefined {
  return (globalThis as { indexedDB?: IDBFactory }).indexedDB
}

/**
 * Opens (and creates, or upgrades to `version`) a database.
 * @param upgrade - makes the object stores of a new database
 * @internal
 */
export function openDatabase(
  factory: IDBFactory,
  name: string,
  version: number,
  upgrade: (db: IDBDatabase, oldVersion: number) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version)
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion)
    request.onsuccess = () => {
      const db = request.result
      // Another tab asking for a newer version: this connection gives way instead of blocking it.
      db.onversionchange = () => db.close()
      resolve(db)
    }
    request.onerror = () => reject(request.error)
    request.onblocked = () =>
      reject(new DOMException(`database ${name} is open elsewhere at an older version`, 'InvalidStateError'))
  })
}
