// The CDK plugin's credential source on its own (the real CDK CLI drives it in cdk.test.mjs):
// which profile it picks for an account, and the SDK v2 style credentials it hands to CDK CLI
// versions that do not announce `supportsV3Providers`.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'

import { listLoginProfiles } from 'aws-login-provider'
import { login, makeSandbox, requiredEnv, startSigninMock } from './harness.mjs'

const require = createRequire(path.join(requiredEnv('AWS_LOGIN_TEST_PROJECT'), 'package.json'))
const { credentialProviderSource: source } = require('aws-login-provider/cdk-plugin')

const ACCOUNT = '111122223333'

let mock
let sandbox

before(async () => {
  mock = await startSigninMock()
  sandbox = await makeSandbox(mock)
  await login(sandbox)
  // A second login profile of the same account (another principal), and one of another account.
  await mock.admin('POST', '/__admin/auto-approve', { identity: 'admin' })
  await login(sandbox, 'second')
  await appendFile(sandbox.configFile, '\n[profile elsewhere]\nlogin_session = arn:aws:iam::444455556666:user/dave\n')
})

after(async () => {
  await mock?.stop()
  await sandbox?.remove()
})

test('listLoginProfiles lists every login profile in file order with its account', async () => {
  const profiles = await listLoginProfiles()
  assert.deepEqual(
    profiles.map((p) => [p.name, p.accountId]),
    [
      ['login', ACCOUNT],
      ['second', ACCOUNT],
      ['elsewhere', '444455556666'],
    ],
  )
  assert.equal(profiles[0].sessionArn, `arn:aws:iam::${ACCOUNT}:user/alice`)
  assert.equal(profiles[1].sessionArn, `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`)
})

test('available when the config holds a login profile, not otherwise', async () => {
  assert.equal(await source.isAvailable(), true)
  const saved = process.env.AWS_CONFIG_FILE
  try {
    process.env.AWS_CONFIG_FILE = path.join(sandbox.dir, 'no-login-config')
    await writeFile(process.env.AWS_CONFIG_FILE, '[default]\nregion = us-east-1\n')
    assert.equal(await source.isAvailable(), false)
    process.env.AWS_CONFIG_FILE = path.join(sandbox.dir, 'missing-config')
    assert.equal(await source.isAvailable(), false)
  } finally {
    process.env.AWS_CONFIG_FILE = saved
  }
})

test('serves the accounts of its login sessions only', async () => {
  assert.equal(await source.canProvideCredentials(ACCOUNT), true)
  assert.equal(await source.canProvideCredentials('444455556666'), true)
  assert.equal(await source.canProvideCredentials('999999999999'), false)
  await assert.rejects(source.getProvider('999999999999', 0, { supportsV3Providers: true }), (error) => {
    assert.equal(error.name, 'LoginSessionNotFound')
    assert.match(error.message, /999999999999/)
    return true
  })
})

test('prefers AWS_PROFILE among the profiles of the account', async () => {
  const saved = process.env.AWS_PROFILE
  try {
    process.env.AWS_PROFILE = 'second'
    const fromSecond = await (await source.getProvider(ACCOUNT, 1, { supportsV3Providers: true }))()
    delete process.env.AWS_PROFILE
    const fromFirst = await (await source.getProvider(ACCOUNT, 1, { supportsV3Providers: true }))()
    assert.notEqual(fromSecond.accessKeyId, fromFirst.accessKeyId, 'two logins, two sessions')
    assert.equal(fromFirst.accountId, ACCOUNT)
  } finally {
    process.env.AWS_PROFILE = saved
  }
})

test('hands SDK v2 style credentials to CLIs without supportsV3Providers', async () => {
  const credentials = await source.getProvider(ACCOUNT, 0, {})
  assert.equal(typeof credentials, 'object')
  assert.match(credentials.accessKeyId, /^ASIA/)
  assert.ok(credentials.expireTime instanceof Date)
  assert.equal(credentials.needsRefresh(), false)
  await credentials.getPromise()
  // Expired as far as the SDK v2 is concerned: get() refreshes through fromLogin.
  credentials.expired = true
  await credentials.getPromise()
  assert.equal(credentials.expired, false)
  assert.match(credentials.accessKeyId, /^ASIA/)
})
