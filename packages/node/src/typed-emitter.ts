/**
 * typed-emitter's interface, imported so that it resolves under every
 * `moduleResolution` a user may compile with. typed-emitter is a CommonJS
 * package whose types say `export default`: under `node16`/`nodenext`, a
 * default import of it from an ES module (our `.d.ts` files are ES modules)
 * is the whole `module.exports`, a namespace, not the interface, and every
 * type built on it breaks (`MycelNode` lost `on`). A namespace import names
 * the same `default` member in every mode. See docs/decisions.md.
 * @internal
 * @module
 */
import type * as TypedEmitterModule from 'typed-emitter'

/** A typed view of Node's `EventEmitter` with the events of `Events`. @internal */
export type TypedEmitter<Events extends TypedEmitterModule.EventMap> = TypedEmitterModule.default<Events>
