/**
 * The tracker's small web page: register, log in, browse and search the
 * catalogue, upload a `.torrent`, download one with your passkey. Plain
 * HTML and a few lines of script over the JSON API; the session token is
 * kept in the tab's `sessionStorage` and sent as a bearer header (no
 * cookies, so no cross-site request can act as the user).
 * @module
 */

/** The page. */
export function webPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mycel-tracker</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .5em;border-bottom:1px solid #ddd;text-align:left}
form{margin:.5em 0}input{margin-right:.3em}.num{text-align:right}#me{background:#f4f4f4;padding:.5em}</style></head>
<body><h1>mycel-tracker</h1>
<section id="out"><form id="login"><input name="name" placeholder="name" autocomplete="username" required>
<input name="password" type="password" placeholder="password" autocomplete="current-password" required>
<button>log in</button> <button type="button" id="register">register</button></form></section>
<section id="in" hidden><div id="me"></div><button id="logout">log out</button>
<form id="upload"><input type="file" name="file" accept=".torrent" required><button>upload .torrent</button></form></section>
<p id="message" role="status"></p>
<form id="search"><input name="q" placeholder="search names"><select name="sort"><option value="date">newest</option><option value="seeders">seeders</option></select><button>search</button></form>
<table><thead><tr><th>name</th><th class="num">size</th><th class="num">files</th><th class="num">seeders</th><th class="num">leechers</th><th class="num">completed</th><th>uploader</th><th></th></tr></thead><tbody id="list"></tbody></table>
<script>
const api = (path, init = {}) => {
  const token = sessionStorage.getItem('token')
  const headers = Object.assign({}, init.headers, token ? { Authorization: 'Bearer ' + token } : {})
  return fetch('/api/v1' + path, Object.assign({}, init, { headers })).then(async (r) => {
    const body = r.status === 204 ? {} : r.headers.get('content-type').startsWith('application/json') ? await r.json() : await r.blob()
    if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText)
    return body
  })
}
const say = (text) => { document.getElementById('message').textContent = text }
const text = (value) => document.createTextNode(String(value))
const size = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : n < 1073741824 ? (n / 1048576).toFixed(1) + ' MiB' : (n / 1073741824).toFixed(2) + ' GiB'
async function showMe() {
  try {
    const me = await api('/me')
    document.getElementById('out').hidden = true
    document.getElementById('in').hidden = false
    const box = document.getElementById('me')
    box.replaceChildren(text(me.name + ' (' + me.role + '): credits ' + me.credits + ', reputation ' + me.reputation + ', announce URL ' + (me.announce || 'revoked')))
  } catch { document.getElementById('out').hidden = false; document.getElementById('in').hidden = true }
}
async function browse() {
  const form = new FormData(document.getElementById('search'))
  const { torrents } = await api('/torrents?q=' + encodeURIComponent(form.get('q')) + '&sort=' + form.get('sort'))
  const rows = torrents.map((t) => {
    const tr = document.createElement('tr')
    for (const [value, cls] of [[t.name], [size(t.size), 'num'], [t.files, 'num'], [t.seeders, 'num'], [t.leechers, 'num'], [t.completed, 'num'], [t.uploader || '-']]) {
      const td = document.createElement('td'); if (cls) td.className = cls; td.appendChild(text(value)); tr.appendChild(td)
    }
    const td = document.createElement('td'); const a = document.createElement('a'); a.href = '#'; a.textContent = '.torrent'
    a.onclick = async (e) => { e.preventDefault(); try { const blob = await api('/torrents/' + t.infohash + '/torrent'); const link = document.createElement('a'); link.href = URL.createObjectURL(blob); link.download = t.name + '.torrent'; link.click() } catch (err) { say(err.message) } }
    td.appendChild(a); tr.appendChild(td)
    return tr
  })
  document.getElementById('list').replaceChildren(...rows)
}
const credentials = () => { const f = new FormData(document.getElementById('login')); return JSON.stringify({ name: f.get('name'), password: f.get('password') }) }
const enter = (path) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: credentials() })
  .then((s) => { sessionStorage.setItem('token', s.token); say(''); showMe() }, (err) => say(err.message))
document.getElementById('login').onsubmit = (e) => { e.preventDefault(); enter('/sessions') }
document.getElementById('register').onclick = () => enter('/accounts')
document.getElementById('logout').onclick = () => api('/sessions/current', { method: 'DELETE' }).finally(() => { sessionStorage.removeItem('token'); showMe() })
document.getElementById('upload').onsubmit = async (e) => {
  e.preventDefault()
  const file = new FormData(e.target).get('file')
  try { const { torrent } = await api('/torrents', { method: 'POST', headers: { 'Content-Type': 'application/x-bittorrent' }, body: file }); say('listed ' + torrent.name); browse() } catch (err) { say(err.message) }
}
document.getElementById('search').onsubmit = (e) => { e.preventDefault(); browse().catch((err) => say(err.message)) }
showMe(); browse().catch((err) => say(err.message))
</script></body></html>
`
}
