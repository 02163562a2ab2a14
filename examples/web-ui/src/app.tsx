import { useEffect, useMemo, useState } from 'preact/hooks'
import { NotificationBus } from './api/bus.js'
import { DaemonClient } from './api/client.js'
import type { DaemonError } from './api/errors.js'
import { type LinkState, NotificationLink } from './api/notifications.js'
import { forgetToken, loadToken, saveToken } from './api/token.js'
import { DaemonContext } from './hooks.js'
import { SAMPLES_KEPT, useSpeedSamples } from './speed-samples.js'
import { Channels } from './views/channels.js'
import { Login } from './views/login.js'
import { Peers } from './views/peers.js'
import { PrivateShares } from './views/private-shares.js'
import { Settings } from './views/settings.js'
import { Shares } from './views/shares.js'
import { SpeedGraph } from './widgets/speed-graph.js'

const TABS = { shares: 'Shares', peers: 'Peers', private: 'Private shares', channels: 'Channels', settings: 'Settings' }
type Tab = keyof typeof TABS

/** The page once the daemon took the token: tabs, the speed graph, the live link. */
function Console(props: { client: DaemonClient; version: string; onLogout: () => void }) {
  const { client } = props
  const bus = useMemo(() => new NotificationBus(), [])
  const [link, setLink] = useState<LinkState>('connecting')
  const [tab, setTab] = useState<Tab>('shares')
  const samples = useSpeedSamples(client)
  useEffect(() => {
    const socket = new NotificationLink(client.notificationsUrl(), (notification) => bus.emit(notification), setLink)
    return () => socket.close()
  }, [client, bus])
  const daemon = useMemo(() => ({ client, bus }), [client, bus])
  return (
    <DaemonContext.Provider value={daemon}>
      <header>
        <h1>mycel</h1>
        <span id="link" class={`link-${link}`} data-state={link} title="live updates over the daemon's WebSocket">
          {link === 'open' ? 'live' : link}
        </span>
        <span class="muted">daemon {props.version}</span>
        <nav>
          {(Object.keys(TABS) as Tab[]).map((name) => (
            <button
              key={name}
              type="button"
              class={tab === name ? 'tab current' : 'tab'}
              data-tab={name}
              onClick={() => setTab(name)}
            >
              {TABS[name]}
            </button>
          ))}
        </nav>
        <button type="button" class="logout" onClick={props.onLogout}>
          Forget token
        </button>
      </header>
      <SpeedGraph samples={samples} capacity={SAMPLES_KEPT} />
      {tab === 'shares' ? <Shares /> : null}
      {tab === 'peers' ? <Peers /> : null}
      {tab === 'private' ? <PrivateShares /> : null}
      {tab === 'channels' ? <Channels /> : null}
      {tab === 'settings' ? <Settings /> : null}
    </DaemonContext.Provider>
  )
}

/**
 * The UI: asks the daemon's `hello` with the token this tab keeps; shows
 * the login form without one or when the daemon refuses it, the console
 * when it takes it.
 */
export function App() {
  const [token, setToken] = useState<string | undefined>(loadToken())
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [accepted, setAccepted] = useState<{ client: DaemonClient; version: string } | undefined>(undefined)
  useEffect(() => {
    if (token === undefined) return
    const client = new DaemonClient(token)
    client.call<{ version: string }>('hello').then(
      (hello) => setAccepted({ client, version: hello.version }),
      (error: DaemonError) => {
        if (error.code === 'UNAUTHORIZED') {
          forgetToken()
          setToken(undefined)
          setProblem('The daemon refused this token.')
        } else setProblem(`${error.code}: ${error.message}`)
      },
    )
  }, [token])
  if (accepted !== undefined) {
    return (
      <Console
        client={accepted.client}
        version={accepted.version}
        onLogout={() => {
          forgetToken()
          setAccepted(undefined)
          setToken(undefined)
          setProblem(undefined)
        }}
      />
    )
  }
  if (token !== undefined && problem === undefined) return <p class="muted">Connecting to the daemon...</p>
  return (
    <Login
      problem={problem}
      onToken={(given) => {
        saveToken(given)
        setProblem(undefined)
        setToken(given)
      }}
    />
  )
}
