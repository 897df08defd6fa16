// What users see when something is wrong: an `Error` whose `name` says what (one of
// `loginErrorNames`), whose message is exactly what `aws-login export-credentials` prints for the
// same profile, with `tryNextLink` only when the profile is not a login profile at all; a corrupt
// cache is left as it was; a refresh that fails while the cached credentials still work warns
// through the SDK-style logger and delivers them.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, writeFile, appendFile } from 'node:fs/promises'
import { promisify } from 'node:util'

import { fromLogin, loginErrorNames } from 'aws-login-provider'
import { ageCache, cacheFileOf, login, makeSandbox, requiredEnv, startSigninMock } from './harness.mjs'

const execFileAsync = promisify(execFile)

let mock
let sandbox
let session

before(async () => {
  mock = await startSigninMock()
  sandbox = await makeSandbox(mock)
  session = await login(sandbox)
  await appendFile(
    sandbox.configFile,
    '\n[profile keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = not-a-login-profile\n' +
      '\n[profile never-logged-in]\nregion = us-east-1\nlogin_session = arn:aws:iam::111122223333:user/nobody\n',
  )
})

after(async () => {
  await mock?.stop()
  await sandbox?.remove()
})

/** What the CLI prints on stderr for the same profile, without its `aws-login: ` prefix. */
async function cliMessage(profile, box) {
  const binary = requiredEnv('AWS_LOGIN_TEST_AWS_LOGIN')
  try {
    await execFileAsync(binary, ['export-credentials', '--profile', profile, '--format', 'process'], { env: box.childEnv() })
  } catch (error) {
    return error.stderr.trim().replace(/^aws-login: /, '')
  }
  assert.fail(`aws-login export-credentials --profile ${profile} succeeded`)
}

/** fromLogin's error for `profile`, checked against the CLI's message and the name list. */
async function loginError(profile, expectedName, box = sandbox) {
  let caught
  await assert.rejects(fromLogin({ profile })(), (error) => {
    caught = error
    return true
  })
  assert.ok(caught instanceof Error)
  assert.equal(caught.name, expectedName, caught.message)
  assert.ok(loginErrorNames.includes(caught.name), caught.name)
  assert.equal(caught.code, expectedName.replace(/Error$/, ''))
  // How long a torn cache file was re-read ("over 259 ms") differs per run.
  const steady = (message) => message.replace(/over \d+ ms/g, 'over N ms')
  assert.equal(steady(caught.message), steady(await cliMessage(profile, box)))
  return caught
}

test('a profile without login_session: NoLoginSessionError, and provider chains may go on', async () => {
  const error = await loginError('keys', 'NoLoginSessionError')
  assert.equal(error.tryNextLink, true)
})

test('a profile that does not exist: ProfileNotFoundError', async () => {
  const error = await loginError('nowhere', 'ProfileNotFoundError')
  assert.equal(error.tryNextLink, true)
})

test('a login profile without a cached session: CacheMissingError telling to log in', async () => {
  const error = await loginError('never-logged-in', 'CacheMissingError')
  assert.equal(error.tryNextLink, false)
  assert.match(error.message, /aws-login login --profile never-logged-in/)
})

test('a corrupt cache file: CacheCorruptError, and the file is left as it was', async () => {
  const file = cacheFileOf(sandbox, session)
  const original = await readFile(file)
  try {
    const garbage = '{"accessToken": {"accessKeyId": "ASIA'
    await writeFile(file, garbage)
    const error = await loginError(sandbox.profile, 'CacheCorruptError')
    assert.equal(error.tryNextLink, false)
    assert.equal(await readFile(file, 'utf8'), garbage)
  } finally {
    await writeFile(file, original)
  }
})

test('a principal without signin:CreateOAuth2Token: InsufficientPermissionsError naming the action', async () => {
  const carolMock = await startSigninMock({ autoApprove: 'carol', args: ['--identity', 'carol=arn:aws:iam::111122223333:user/carol'] })
  const carol = await makeSandbox(carolMock, { profile: 'carol' })
  try {
    const arn = await login(carol)
    await carolMock.admin('POST', '/__admin/principals/carol/permissions', { can_create_token: false })
    await ageCache(carol, arn, -30)
    const error = await loginError('carol', 'InsufficientPermissionsError', carol)
    assert.match(error.message, /signin:CreateOAuth2Token/)
    assert.match(error.message, /SignInLocalDevelopmentAccess/)
  } finally {
    await carolMock.stop()
    await carol.remove()
    Object.assign(process.env, sandbox.env)
  }
})

test('a failing refresh while the cached credentials still work: a warning, and the credentials', async () => {
  const cached = await ageCache(sandbox, session, 120) // inside the refresh window, still valid
  await mock.admin('POST', '/__admin/faults', { target: 'token', error_status: 500, error_count: 50 })
  const warnings = []
  try {
    const credentials = await fromLogin({ logger: { warn: (message) => warnings.push(message) } })()
    assert.equal(credentials.accessKeyId, cached.accessToken.accessKeyId)
  } finally {
    await mock.admin('DELETE', '/__admin/faults')
  }
  assert.equal(warnings.length, 1, JSON.stringify(warnings))
  assert.doesNotMatch(warnings[0], new RegExp(cached.accessToken.sessionToken.slice(0, 12)), 'no secret in a warning')
})

test('the service failing on expired credentials: ServiceUnavailableError, the cache untouched', async () => {
  await ageCache(sandbox, session, -30)
  const file = cacheFileOf(sandbox, session)
  const before = await readFile(file, 'utf8')
  await mock.admin('POST', '/__admin/faults', { target: 'token', error_status: 500, error_count: 50 })
  try {
    let caught
    await assert.rejects(fromLogin()(), (error) => {
      caught = error
      return true
    })
    assert.equal(caught.name, 'ServiceUnavailableError', caught.message)
    assert.equal(caught.tryNextLink, false)
  } finally {
    await mock.admin('DELETE', '/__admin/faults')
  }
  assert.equal(await readFile(file, 'utf8'), before)
})

test("the SDK's own provider chain moves past a non-login profile and stops at a broken session", async () => {
  // `chain` of the installed SDK (@smithy/core, a dependency of @aws-sdk/client-sts).
  const { createRequire } = await import('node:module')
  const require = createRequire(`${requiredEnv('AWS_LOGIN_TEST_PROJECT')}/package.json`)
  const { chain } = require('@smithy/core/config')
  const fallback = async () => ({ accessKeyId: 'AKIAFALLBACK', secretAccessKey: 'fallback' })
  assert.equal((await chain(fromLogin({ profile: 'keys' }), fallback)()).accessKeyId, 'AKIAFALLBACK')
  assert.equal((await chain(fromLogin({ profile: 'nowhere' }), fallback)()).accessKeyId, 'AKIAFALLBACK')
  await assert.rejects(chain(fromLogin({ profile: 'never-logged-in' }), fallback)(), { name: 'CacheMissingError' })
})

// Last: it ends every session on this mock.
test('credentials of a session that ended on the server: SessionExpiredError', async () => {
  const otherSandbox = await makeSandbox(mock, { profile: 'ending' })
  try {
    await login(otherSandbox)
    await mock.admin('POST', '/__admin/sessions/expire')
    await ageCache(otherSandbox, await sessionArnOf(otherSandbox), -30)
    await loginError('ending', 'SessionExpiredError', otherSandbox)
  } finally {
    await otherSandbox.remove()
    Object.assign(process.env, sandbox.env)
  }
})

async function sessionArnOf(box) {
  const { sessionOf } = await import('./harness.mjs')
  return sessionOf(await readFile(box.configFile, 'utf8'), box.profile)
}

