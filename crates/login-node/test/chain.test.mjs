// Role and IAM Identity Center profiles through the Rust chain, with the installed
// @aws-sdk/client-sts (current and pre-3.936) against signin-mock: a role over a login profile,
// an SSO profile, a role over that, SSO credentials across their expiry, the errors a person has
// to act on, and the CDK plugin picking a role profile by account.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { appendFile, readdir, unlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'

import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { fromLogin, listProfiles, loginErrorNames } from 'aws-login-provider'
import { login, makeSandbox, requiredEnv, sleep, ssoLogin, startSigninMock, stsCalls } from './harness.mjs'

const require = createRequire(path.join(requiredEnv('AWS_LOGIN_TEST_PROJECT'), 'package.json'))
const { credentialProviderSource: source } = require('aws-login-provider/cdk-plugin')

const ACCOUNT = '111122223333'
const OTHER_ACCOUNT = '444455556666'
const ROLE = `arn:aws:iam::${ACCOUNT}:role/Deploy`
const OTHER_ROLE = `arn:aws:iam::${OTHER_ACCOUNT}:role/Deploy`
const ROLE_SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/Deploy/`
// SSO role credentials live 8 s, so one test can wait past their expiry.
const SSO_LIFETIME_SECONDS = 8

const CONFIG = `
[profile admin]
role_arn = ${ROLE}
source_profile = login

[profile ops]
role_arn = ${OTHER_ROLE}
source_profile = login

[profile denied]
role_arn = arn:aws:iam::${ACCOUNT}:role/NoSuchRole
source_profile = login

[profile sso]
sso_session = corp
sso_account_id = ${ACCOUNT}
sso_role_name = ReadOnly

[profile sso-deploy]
role_arn = ${ROLE}
source_profile = sso

[profile noaccess]
sso_session = corp
sso_account_id = ${ACCOUNT}
sso_role_name = Deploy

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1

[profile keys]
aws_access_key_id = AKIAEXAMPLEEXAMPLE12
aws_secret_access_key = not-a-real-secret

[profile process]
credential_process = /bin/false

[profile processrole]
role_arn = arn:aws:iam::${ACCOUNT}:role/FromProcess
source_profile = process
`

let mock
let sandbox

function portalCalls(stats, operation) {
  return stats.sso_portal?.[operation]?.ok ?? 0
}

async function callerOf(profile) {
  const client = new STSClient({ region: 'us-east-1', credentials: fromLogin({ profile }) })
  return client.send(new GetCallerIdentityCommand({}))
}

before(async () => {
  const configFile = path.join(requiredEnv('AWS_LOGIN_TEST_PROJECT'), 'chain-mock.json')
  await writeFile(
    configFile,
    JSON.stringify({
      roles: [
        { arn: ROLE, trusted: ['*'] },
        { arn: OTHER_ROLE, trusted: ['*'] },
      ],
      sso: { role_credentials_lifetime_secs: SSO_LIFETIME_SECONDS },
    }),
  )
  mock = await startSigninMock({ args: ['--config', configFile, '--sso-auto-approve', 'alice'] })
  sandbox = await makeSandbox(mock)
  await login(sandbox)
  await appendFile(sandbox.configFile, CONFIG)
  await ssoLogin(sandbox, 'sso')
})

after(async () => {
  await mock?.stop()
  await sandbox?.remove()
})

test('a role over a login profile: the role ARN, its account, one AssumeRole', async () => {
  const identity = await callerOf('admin')
  assert.ok(identity.Arn.startsWith(ROLE_SESSION), identity.Arn)
  const credentials = await fromLogin({ profile: 'admin' })()
  assert.equal(credentials.accountId, ACCOUNT)
  assert.equal(stsCalls(await mock.stats(), 'AssumeRole', 'ok'), 1, 'the second resolution used the role cache')
})

test('the account id is the role account, not the login session account', async () => {
  const credentials = await fromLogin({ profile: 'ops' })()
  assert.equal(credentials.accountId, OTHER_ACCOUNT)
  const identity = await callerOf('ops')
  assert.equal(identity.Account, OTHER_ACCOUNT)
})

test('an IAM Identity Center profile and a role over it', async () => {
  const identity = await callerOf('sso')
  assert.equal(identity.Account, ACCOUNT)
  assert.match(identity.Arn, /ReadOnly/)
  assert.equal((await fromLogin({ profile: 'sso' })()).accountId, ACCOUNT)
  const deploy = await callerOf('sso-deploy')
  assert.ok(deploy.Arn.startsWith(ROLE_SESSION), deploy.Arn)
})

test('SSO role credentials across their expiry', async () => {
  const provider = fromLogin({ profile: 'sso' })
  const first = await provider()
  const calls = portalCalls(await mock.stats(), 'GetRoleCredentials')
  await sleep((SSO_LIFETIME_SECONDS + 0.5) * 1000)
  assert.ok(first.expiration.getTime() < Date.now(), 'the first credentials have expired')
  const second = await provider()
  assert.notEqual(second.accessKeyId, first.accessKeyId)
  assert.ok(second.expiration.getTime() > Date.now())
  assert.equal(portalCalls(await mock.stats(), 'GetRoleCredentials'), calls + 1)
  const client = new STSClient({ region: 'us-east-1', credentials: provider })
  assert.equal((await client.send(new GetCallerIdentityCommand({}))).Account, ACCOUNT)
})

test('a denied role rejects with AssumeRoleDeniedError and says what to check', async () => {
  await assert.rejects(fromLogin({ profile: 'denied' })(), (error) => {
    assert.equal(error.name, 'AssumeRoleDeniedError')
    assert.equal(error.code, 'AssumeRoleDenied')
    assert.equal(error.tryNextLink, false)
    assert.match(error.message, /AccessDenied/)
    assert.match(error.message, /trust policy/)
    return true
  })
})

test('a role over a failing credential_process rejects with SourceFailedError', async () => {
  await assert.rejects(fromLogin({ profile: 'processrole' })(), (error) => {
    assert.equal(error.name, 'SourceFailedError')
    assert.equal(error.code, 'SourceFailed')
    assert.match(error.message, /credential_process/)
    return true
  })
})

test('no access to the SSO role rejects with SsoNoAccessError', async () => {
  await assert.rejects(fromLogin({ profile: 'noaccess' })(), (error) => {
    assert.equal(error.name, 'SsoNoAccessError')
    assert.equal(error.code, 'InsufficientPermissions')
    assert.match(error.message, /aws-login configure sso --profile noaccess/)
    return true
  })
})

test('the error names include the role and SSO ones', () => {
  for (const name of [
    'AssumeRoleDeniedError',
    'MfaUnavailableError',
    'SourceFailedError',
    'SsoSessionExpiredError',
    'SsoTokenMissingError',
    'SsoNoAccessError',
  ]) {
    assert.ok(loginErrorNames.includes(name), name)
  }
})

test('listProfiles: the planned base and account of every profile', async () => {
  const profiles = Object.fromEntries((await listProfiles()).map((p) => [p.name, p]))
  assert.deepEqual(
    Object.values(profiles).map((p) => [p.name, p.base, p.accountId ?? null, p.served]),
    [
      ['login', 'LoginSession', ACCOUNT, true],
      ['admin', 'LoginSession', ACCOUNT, true],
      ['ops', 'LoginSession', OTHER_ACCOUNT, true],
      ['denied', 'LoginSession', ACCOUNT, true],
      ['sso', 'Sso', ACCOUNT, true],
      ['sso-deploy', 'Sso', ACCOUNT, true],
      ['noaccess', 'Sso', ACCOUNT, true],
      ['keys', 'StaticKeys', null, false],
      ['process', 'CredentialProcess', null, false],
      ['processrole', 'CredentialProcess', ACCOUNT, false],
    ],
  )
  assert.deepEqual(profiles.ops.roleArns, [OTHER_ROLE])
})

test('CDK plugin: a role profile serves the account of its role', async () => {
  assert.equal(await source.canProvideCredentials(OTHER_ACCOUNT), true)
  const provider = await source.getProvider(OTHER_ACCOUNT, 1, { supportsV3Providers: true })
  const credentials = await provider()
  assert.equal(credentials.accountId, OTHER_ACCOUNT)
  const client = new STSClient({ region: 'us-east-1', credentials: provider })
  const identity = await client.send(new GetCallerIdentityCommand({}))
  assert.equal(identity.Arn.split('/').slice(0, 2).join('/'), `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/Deploy`)
})

test('CDK plugin: the login profile still wins for its own account, AWS_PROFILE picks a role', async () => {
  const saved = process.env.AWS_PROFILE
  try {
    delete process.env.AWS_PROFILE
    const plain = await (await source.getProvider(ACCOUNT, 1, { supportsV3Providers: true }))()
    assert.equal(plain.accessKeyId, (await fromLogin({ profile: 'login' })()).accessKeyId)
    process.env.AWS_PROFILE = 'admin'
    const role = await (await source.getProvider(ACCOUNT, 1, { supportsV3Providers: true }))()
    assert.equal(role.accessKeyId, (await fromLogin({ profile: 'admin' })()).accessKeyId)
  } finally {
    process.env.AWS_PROFILE = saved
  }
})

test('CDK plugin: refuses an account no served profile is for', async () => {
  assert.equal(await source.canProvideCredentials('999999999999'), false)
  await assert.rejects(source.getProvider('999999999999', 0, { supportsV3Providers: true }), (error) => {
    assert.equal(error.name, 'LoginSessionNotFound')
    assert.match(error.message, /999999999999/)
    assert.match(error.message, /role_arn/)
    return true
  })
})

test('no SSO token rejects with SsoTokenMissingError naming aws-login sso login', async () => {
  const dir = path.join(sandbox.dir, '.aws', 'sso', 'cache')
  for (const name of await readdir(dir)) await unlink(path.join(dir, name))
  const cliCache = path.join(sandbox.dir, '.aws', 'cli', 'cache')
  for (const name of await readdir(cliCache)) await unlink(path.join(cliCache, name))
  await assert.rejects(fromLogin({ profile: 'sso' })(), (error) => {
    assert.equal(error.name, 'SsoTokenMissingError')
    assert.match(error.message, /aws-login sso login/)
    return true
  })
})
