import type { DaemonError } from '../api/errors.js'

/** A failure of a call, with its stable code and the daemon's hint. */
export function ErrorLine(props: { error: DaemonError | undefined }) {
  const { error } = props
  if (error === undefined) return null
  return (
    <p class="error" role="alert" data-code={error.code}>
      {error.code}: {error.message}
      {error.hint === undefined ? '' : ` (${error.hint})`}
    </p>
  )
}
