// fromLogin as `credentials:` of the installed @aws-sdk/client-sts (the current one in the
// `current` project, one from before 3.936 in the `old` project) against signin-mock's STS,
// including across a real access-token expiry. In the old project, the SDK's own default chain
// is shown to fail on the same login profile.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'

import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { fromLogin } from 'aws-login-provider'
import { compareVersions, installedVersion, login, makeSandbox, sleep, startSigninMock, tokenCalls } from './harness.mjs'

const ALICE = 'arn:aws:iam::111122223333:user/alice'
/** The first @aws-sdk/client-sts release whose default chain reads login sessions. */
const FIRST_SDK_WITH_LOGIN = '3.936.0'

let mock
let sandbox
let sdkVersion

before(async () => {
  sdkVersion = await installedVersion('@aws-sdk/client-sts')
  mock = await startSigninMock()
  sandbox = await makeSandbox(mock)
  assert.equal(await login(sandbox), ALICE)
})

after(async () => {
  await mock?.stop()
  await sandbox?.remove()
})

test('GetCallerIdentity succeeds with credentials: fromLogin()', async () => {
  const before = tokenCalls(await mock.stats(), 'refresh_token')
  const client = new STSClient({ region: 'us-east-1', credentials: fromLogin() })
  const identity = await client.send(new GetCallerIdentityCommand({}))
  assert.equal(identity.Arn, ALICE)
  assert.equal(identity.Account, '111122223333')
  // A fresh login's credentials are used as they are: no token request.
  assert.equal(tokenCalls(await mock.stats(), 'refresh_token'), before)
})

test('the provider resolves the documented credential shape', async () => {
  const credentials = await fromLogin({ profile: sandbox.profile })()
  assert.match(credentials.accessKeyId, /^ASIA/)
  assert.equal(typeof credentials.secretAccessKey, 'string')
  assert.ok(credentials.secretAccessKey.length > 0)
  assert.equal(typeof credentials.sessionToken, 'string')
  assert.ok(credentials.expiration instanceof Date)
  assert.ok(credentials.expiration.getTime() > Date.now())
  assert.equal(credentials.accountId, '111122223333')
})

test('explicit profile, config file and cache directory need no environment', async () => {
  const saved = { ...process.env }
  try {
    for (const name of ['AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_LOGIN_CACHE_DIRECTORY']) delete process.env[name]
    process.env.HOME = `${sandbox.dir}/elsewhere` // so ~/.aws finds nothing either
    const provider = fromLogin({
      profile: sandbox.profile,
      configFilepath: sandbox.configFile,
      cacheDirectory: sandbox.cacheDir,
    })
    const identity = await new STSClient({ region: 'us-east-1', credentials: provider }).send(new GetCallerIdentityCommand({}))
    assert.equal(identity.Arn, ALICE)
  } finally {
    Object.assign(process.env, saved)
  }
})

test("the client's own profile option is used when fromLogin names none", async () => {
  const saved = process.env.AWS_PROFILE
  try {
    delete process.env.AWS_PROFILE
    const client = new STSClient({ region: 'us-east-1', profile: sandbox.profile, credentials: fromLogin() })
    const identity = await client.send(new GetCallerIdentityCommand({}))
    assert.equal(identity.Arn, ALICE)
  } finally {
    process.env.AWS_PROFILE = saved
  }
})

test("the SDK's default chain on the same login profile", async () => {
  const client = new STSClient({ region: 'us-east-1' })
  if (compareVersions(sdkVersion, FIRST_SDK_WITH_LOGIN) < 0) {
    // Before 3.936 the SDK does not know `login_session`: this is the failure users hit.
    await assert.rejects(client.send(new GetCallerIdentityCommand({})), (error) => {
      assert.equal(error.name, 'CredentialsProviderError', `${error.name}: ${error.message}`)
      return true
    })
  } else {
    const identity = await client.send(new GetCallerIdentityCommand({}))
    assert.equal(identity.Arn, ALICE)
  }
})

test('GetCallerIdentity keeps working across a real access-token expiry', async () => {
  // A second mock whose credentials live 2 seconds, so the expiry really happens on the server.
  const shortMock = await startSigninMock({ args: ['--access-token-lifetime', '2'] })
  const shortSandbox = await makeSandbox(shortMock, { profile: 'short' })
  try {
    await login(shortSandbox)
    const provider = fromLogin()
    const client = new STSClient({ region: 'us-east-1', credentials: provider })
    const first = await provider()
    assert.equal((await client.send(new GetCallerIdentityCommand({}))).Arn, ALICE)

    await sleep(first.expiration.getTime() - Date.now() + 1500)
    // The old credentials are now refused by STS itself…
    const stale = new STSClient({ region: 'us-east-1', credentials: first, maxAttempts: 1 })
    await assert.rejects(stale.send(new GetCallerIdentityCommand({})), (error) => {
      assert.match(error.name, /ExpiredToken/, `${error.name}: ${error.message}`)
      return true
    })
    // …and the client with fromLogin refreshes and succeeds.
    const refreshesBefore = tokenCalls(await shortMock.stats(), 'refresh_token')
    assert.equal((await client.send(new GetCallerIdentityCommand({}))).Arn, ALICE)
    const second = await provider()
    assert.notEqual(second.accessKeyId, first.accessKeyId)
    assert.ok(second.expiration > first.expiration)
    assert.ok(tokenCalls(await shortMock.stats(), 'refresh_token') > refreshesBefore)
  } finally {
    await shortMock.stop()
    await shortSandbox.remove()
    Object.assign(process.env, sandbox.env)
  }
})
