// Byte compatibility with the JS SDK's own login provider (@aws-sdk/credential-provider-login):
// a cache it refreshed is read by fromLogin without another token request, and a cache fromLogin
// refreshed is read — and refreshed again, with the refresh token and DPoP key fromLogin kept —
// by the SDK.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'

import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { fromLoginCredentials } from '@aws-sdk/credential-provider-login'
import { fromLogin } from 'aws-login-provider'
import { ageCache, cacheFileOf, login, makeSandbox, readCache, startSigninMock, tokenCalls } from './harness.mjs'

let mock
let sandbox
let session

before(async () => {
  mock = await startSigninMock()
  sandbox = await makeSandbox(mock)
  session = await login(sandbox)
})

after(async () => {
  await mock?.stop()
  await sandbox?.remove()
})

const refreshes = async () => tokenCalls(await mock.stats(), 'refresh_token')

test('a cache refreshed by the JS SDK is read by fromLogin as it is', async () => {
  await ageCache(sandbox, session, 60) // one minute left: inside both tools' 5-minute window
  const start = await refreshes()
  const bySdk = await fromLoginCredentials({ profile: sandbox.profile })()
  assert.equal(await refreshes(), start + 1, 'the SDK refreshed once')

  const ours = await fromLogin({ profile: sandbox.profile })()
  assert.equal(ours.accessKeyId, bySdk.accessKeyId)
  assert.equal(ours.sessionToken, bySdk.sessionToken)
  assert.equal(ours.expiration.getTime(), bySdk.expiration.getTime())
  assert.equal(ours.accountId, bySdk.accountId)
  assert.equal(await refreshes(), start + 1, 'fromLogin made no token request')

  const identity = await new STSClient({ region: 'us-east-1', credentials: fromLogin() }).send(new GetCallerIdentityCommand({}))
  assert.equal(identity.Arn, session)
})

test('a cache refreshed by fromLogin is read and refreshed again by the JS SDK', async () => {
  const aged = await ageCache(sandbox, session, 60)
  // A field some future tool adds must survive our rewrite.
  const file = cacheFileOf(sandbox, session)
  await writeFile(file, JSON.stringify({ ...aged, someFutureField: { kept: true } }, null, 2))
  const start = await refreshes()

  const ours = await fromLogin({ profile: sandbox.profile })()
  assert.equal(await refreshes(), start + 1, 'fromLogin refreshed once')
  assert.notEqual(ours.accessKeyId, aged.accessToken.accessKeyId)
  const written = await readCache(sandbox, session)
  assert.deepEqual(written.someFutureField, { kept: true })
  assert.equal(written.dpopKey, aged.dpopKey)
  assert.equal(written.clientId, aged.clientId)
  assert.equal(written.idToken, aged.idToken)
  assert.notEqual(written.refreshToken, aged.refreshToken)
  assert.match(written.accessToken.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  assert.equal((await stat(file)).mode & 0o777, 0o600)

  const bySdk = await fromLoginCredentials({ profile: sandbox.profile })()
  assert.equal(bySdk.accessKeyId, ours.accessKeyId)
  assert.equal(await refreshes(), start + 1, 'the SDK made no token request')

  // The SDK refreshes with the refresh token and DPoP key that fromLogin left in the file.
  await ageCache(sandbox, session, 60)
  const again = await fromLoginCredentials({ profile: sandbox.profile })()
  assert.equal(await refreshes(), start + 2)
  assert.notEqual(again.accessKeyId, ours.accessKeyId)
  const identity = await new STSClient({ region: 'us-east-1', credentials: async () => again }).send(new GetCallerIdentityCommand({}))
  assert.equal(identity.Arn, session)
})

test("the SDK's default chain reads a session fromLogin refreshed", async () => {
  await ageCache(sandbox, session, 60)
  const ours = await fromLogin()()
  const client = new STSClient({ region: 'us-east-1' })
  const identity = await client.send(new GetCallerIdentityCommand({}))
  assert.equal(identity.Arn, session)
  const used = await client.config.credentials()
  assert.equal(used.accessKeyId, ours.accessKeyId)
})

test('fromLogin reads the PKCS#8 key form other writers use, as well as SEC1', async () => {
  // The login wrote one of the two forms; whichever it is, the other must work as well.
  const entry = await readCache(sandbox, session)
  const { createPrivateKey } = await import('node:crypto')
  const key = createPrivateKey(entry.dpopKey)
  const other = entry.dpopKey.includes('EC PRIVATE KEY')
    ? key.export({ format: 'pem', type: 'pkcs8' })
    : key.export({ format: 'pem', type: 'sec1' })
  const file = cacheFileOf(sandbox, session)
  await writeFile(file, JSON.stringify({ ...entry, dpopKey: other }, null, 2))
  await ageCache(sandbox, session, 60)
  const start = await refreshes()
  const ours = await fromLogin()()
  assert.equal(await refreshes(), start + 1, 'refreshed with the converted key (the mock checks the DPoP binding)')
  assert.equal(JSON.parse(await readFile(file, 'utf8')).dpopKey, other, 'the key is kept in the form found')
  assert.equal(ours.accountId, '111122223333')
})
