/**
 * Part of the accounts suite (accounts-suite.ts): accounts and sessions:
 * registration, tokens, login budgets, secrets kept out of answers and logs.
 */

import { expect, it } from 'vitest'
import type { AccountsContext } from './accounts-context.js'
import { api, registered } from './api.js'

/**
 * Declares these tests in the suite's `describe`.
 *
 * @param context - the suite's tracker factory and scratch files
 */
export function sessionTests(context: AccountsContext): void {
  const { start } = context
  it('registers, logs in and out, changes the password, deletes the account; the first account is an admin', async () => {
    const { base } = await start()
    const alice = await api(base, 'POST', '/accounts', { json: { name: 'Alice', password: 'alice password 1' } })
    expect(alice.status).toBe(201)
    expect(alice.json.user).toMatchObject({ name: 'alice', role: 'admin', credits: 0 })
    const bob = await registered(base, 'bob')
    expect((await api(base, 'GET', '/me', { token: bob.token })).json).toMatchObject({ name: 'bob', role: 'user' })
    expect(
      (await api(base, 'POST', '/accounts', { json: { name: 'ALICE', password: 'another one 1' } })).json.error.code,
    ).toBe('NAME_TAKEN')
    expect(
      (await api(base, 'POST', '/accounts', { json: { name: 'x', password: 'long enough' } })).json.error.code,
    ).toBe('NAME_INVALID')
    expect((await api(base, 'POST', '/accounts', { json: { name: 'carol', password: 'short' } })).json.error.code).toBe(
      'PASSWORD_INVALID',
    )
    // a wrong password and an unknown name get the same answer
    const wrong = await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'not the password' } })
    const unknown = await api(base, 'POST', '/sessions', { json: { name: 'nobody', password: 'not the password' } })
    expect([wrong.status, wrong.json.error.code]).toEqual([401, 'CREDENTIALS_WRONG'])
    expect(unknown.json).toEqual(wrong.json)
    const login = await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })
    expect(login.status).toBe(201)
    const token = login.json.token as string
    expect((await api(base, 'GET', '/me', { token })).status).toBe(200)
    // logout revokes the token before it expires
    expect((await api(base, 'DELETE', '/sessions/current', { token })).status).toBe(204)
    expect((await api(base, 'GET', '/me', { token })).json.error.code).toBe('SESSION_INVALID')
    // a changed password ends every session and the old password stops working
    const first = alice.json.token as string
    const changed = await api(base, 'PUT', '/me/password', {
      token: first,
      json: { current: 'alice password 1', password: 'alice password 2' },
    })
    expect(changed.status).toBe(200)
    expect((await api(base, 'GET', '/me', { token: first })).status).toBe(401)
    expect((await api(base, 'GET', '/me', { token: changed.json.token })).status).toBe(200)
    expect(
      (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })).status,
    ).toBe(401)
    // only an admin changes roles
    expect(
      (await api(base, 'PUT', '/users/role', { token: bob.token, json: { name: 'bob', role: 'admin' } })).status,
    ).toBe(403)
    expect(
      (await api(base, 'PUT', '/users/role', { token: changed.json.token, json: { name: 'bob', role: 'admin' } }))
        .status,
    ).toBe(204)
    expect((await api(base, 'GET', '/me', { token: bob.token })).json.role).toBe('admin')
    // deleting needs the password; then the account and its sessions are gone
    expect((await api(base, 'DELETE', '/me', { token: bob.token, json: { password: 'nope nope nope' } })).status).toBe(
      401,
    )
    expect(
      (await api(base, 'DELETE', '/me', { token: bob.token, json: { password: 'correct horse battery' } })).status,
    ).toBe(204)
    expect((await api(base, 'GET', '/me', { token: bob.token })).status).toBe(401)
    expect(
      (await api(base, 'POST', '/sessions', { json: { name: 'bob', password: 'correct horse battery' } })).status,
    ).toBe(401)
  })

  it('answers bad requests with typed JSON errors and goes on: oversize and malformed bodies, unknown paths', async () => {
    const { base } = await start()
    const huge = await fetch(`${base}/api/v1/accounts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: 'x'.repeat(70_000) }),
    })
    expect([huge.status, ((await huge.json()) as { error: { code: string } }).error.code]).toEqual([
      413,
      'BODY_TOO_LARGE',
    ])
    for (const body of ['not json', '[1, 2]', 'null', '"text"']) {
      const answer = await fetch(`${base}/api/v1/sessions`, { method: 'POST', body })
      expect([answer.status, ((await answer.json()) as { error: { code: string } }).error.code]).toEqual([
        400,
        'REQUEST_INVALID',
      ])
    }
    expect((await api(base, 'GET', '/nowhere')).json.error.code).toBe('NOT_FOUND')
    expect((await api(base, 'PATCH', '/me')).status).toBe(404)
    expect((await api(base, 'POST', '/accounts', { json: { name: 42, password: null } })).json.error.code).toBe(
      'NAME_INVALID',
    )
    expect((await api(base, 'POST', '/sessions', { json: { name: ['a'], password: {} } })).status).toBe(401)
    expect((await api(base, 'POST', '/accounts', { json: { name: 'alice', password: 'fine password' } })).status).toBe(
      201,
    )
  })

  it('refuses forged, altered and expired tokens', async () => {
    const { base, advance } = await start({ accounts: { sessionSeconds: 60 } })
    const { token } = await registered(base, 'alice')
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const other = Buffer.from(JSON.stringify({ ...claims, sub: claims.sub + 1 })).toString('base64url')
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    for (const bad of [
      `${header}.${other}.${signature}`,
      `${none}.${payload}.`,
      `${header}.${payload}.${'A'.repeat(43)}`,
      'garbage',
    ]) {
      expect((await api(base, 'GET', '/me', { token: bad })).status).toBe(401)
    }
    expect((await api(base, 'GET', '/me', { token })).status).toBe(200)
    advance(61_000)
    expect((await api(base, 'GET', '/me', { token })).json.error.code).toBe('SESSION_INVALID')
  })

  it('limits failed logins per account and logins per address', async () => {
    const { base, advance } = await start({
      accounts: {
        limits: {
          failedLoginsPerAccount: { burst: 3, refillSeconds: 60, maxKeys: 100 },
          loginsPerAddress: { burst: 8, refillSeconds: 3600, maxKeys: 100 },
          registrationsPerAddress: { burst: 2, refillSeconds: 600, maxKeys: 100 },
        },
      },
    })
    await registered(base, 'alice', 'alice password 1')
    await registered(base, 'bob')
    const third = await api(base, 'POST', '/accounts', { json: { name: 'carol', password: 'carol password' } })
    expect([third.status, third.json.error.code]).toEqual([429, 'RATE_LIMITED'])
    for (let i = 0; i < 3; i++) {
      expect(
        (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: `guess ${i} guess` } })).status,
      ).toBe(401)
    }
    // the account is locked for a while, even with the right password
    const locked = await fetch(`${base}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'alice', password: 'alice password 1' }),
    })
    expect([locked.status, ((await locked.json()) as { error: { code: string } }).error.code]).toEqual([
      429,
      'RATE_LIMITED',
    ])
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    advance(60_000)
    expect(
      (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })).status,
    ).toBe(201)
    // the address has spent 5 of its 8; 3 more go through (failing), the next is refused whatever the name
    for (let i = 0; i < 3; i++) {
      expect(
        (await api(base, 'POST', '/sessions', { json: { name: `user${i}`, password: 'whatever it is' } })).status,
      ).toBe(401)
    }
    expect(
      (await api(base, 'POST', '/sessions', { json: { name: 'alice', password: 'alice password 1' } })).status,
    ).toBe(429)
  })

  it('never shows a password or its hash: not in API answers, not in the log', async () => {
    const { tracker, base, lines } = await start()
    const password = 'hunter2 secret words'
    const { token } = await registered(base, 'alice', password)
    const answers = [
      await api(base, 'GET', '/me', { token }),
      await api(base, 'POST', '/sessions', { json: { name: 'alice', password } }),
      await api(base, 'POST', '/sessions', { json: { name: 'alice', password: `${password}x` } }),
      await api(base, 'PUT', '/me/password', {
        token,
        json: { current: 'wrong wrong wrong', password: 'next password 1' },
      }),
      await api(base, 'GET', '/torrents'),
    ]
    const [hash] = await tracker.storage.sql.all<{ password: string }>('SELECT password FROM tracker_users')
    expect(hash?.password).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/)
    const stored = hash?.password as string
    const salt = stored.split('$')[3] as string
    for (const text of [...answers.map((answer) => answer.text), ...lines]) {
      expect(text).not.toContain(password)
      expect(text).not.toContain('$scrypt$')
      expect(text).not.toContain(salt)
    }
    expect(lines.some((line) => line.includes('alice'))).toBe(true)
  })
}
