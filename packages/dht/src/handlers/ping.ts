import type { QueryHandler } from './context.js'

/** `ping`: answers with our id (BEP 5). @internal */
export const handlePing: QueryHandler = (context) => ({ values: { id: context.id } })
