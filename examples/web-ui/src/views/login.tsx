import { useState } from 'preact/hooks'

/**
 * Asks for the daemon's token (the content of `daemon.token` in its data
 * folder) or its `--password`, when the page was opened without the
 * `#token=` address the daemon prints, or with a wrong one.
 */
export function Login(props: { problem: string | undefined; onToken: (token: string) => void }) {
  const [token, setToken] = useState('')
  return (
    <section class="login">
      <h1>mycel</h1>
      <p>
        This daemon needs its token: open the <code>web UI</code> address that <code>mycel daemon</code> printed, or
        paste the content of <code>daemon.token</code> from its data folder (or its <code>--password</code>).
      </p>
      {props.problem === undefined ? null : (
        <p class="error" role="alert" id="login-problem">
          {props.problem}
        </p>
      )}
      <form
        name="login"
        onSubmit={(event) => {
          event.preventDefault()
          props.onToken(token.trim())
        }}
      >
        <input
          type="password"
          name="token"
          autocomplete="off"
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          required
        />
        <button type="submit">Open</button>
      </form>
    </section>
  )
}
