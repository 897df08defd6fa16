// The plugin in the real `aws-cdk` CLI from npm, a version before 2.1034.0 (no login sessions in
// its SDK). A CDK user's path: a cloud assembly with one stack in account 111122223333, then
// `cdk deploy` (and `cdk bootstrap`). Credentials come from the plugin, STS validates them
// (signin-mock verifies the SigV4 signature), and the CLI goes on to CloudFormation — here a
// local stand-in that records which access key signed each call and refuses to create anything.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import path from 'node:path'
import { promisify } from 'node:util'

import { ageCache, compareVersions, installedVersion, login, makeSandbox, readCache, requiredEnv, startSigninMock, stsCalls } from './harness.mjs'

const execFileAsync = promisify(execFile)
const ACCOUNT = '111122223333'
const project = requiredEnv('AWS_LOGIN_TEST_PROJECT')
const cdkBin = path.join(project, 'node_modules', 'aws-cdk', 'bin', 'cdk')
const REFUSAL = 'no CloudFormation in this test: change set refused by the stand-in'

let mock
let sandbox
let session
let cloudFormation
let appDir

/** A stand-in for every AWS service except STS and Sign-In: records calls, creates nothing. */
async function startCloudFormationStandIn() {
  const calls = []
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const form = new URLSearchParams(body)
      const action = form.get('Action') ?? `${request.method} ${request.url}`
      const accessKey = /Credential=([A-Z0-9]+)\//.exec(request.headers.authorization ?? '')?.[1]
      calls.push({ action, accessKey })
      const [code, message] =
        action === 'DescribeStacks'
          ? ['ValidationError', `Stack with id ${form.get('StackName')} does not exist`]
          : ['AccessDenied', REFUSAL]
      response.writeHead(400, { 'content-type': 'text/xml' })
      response.end(
        `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>` +
          `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>`,
      )
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    calls,
    stop: () => new Promise((resolve) => server.close(resolve)),
  }
}

/** A synthesized CDK app (cloud assembly): what `cdk synth` leaves in cdk.out. */
async function writeCloudAssembly(dir) {
  await mkdir(dir, { recursive: true })
  const stack = (environment) => ({
    type: 'aws:cloudformation:stack',
    environment,
    properties: { templateFile: 'LoginDemo.template.json', validateOnSynth: false },
  })
  await writeFile(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      version: '36.0.0',
      artifacts: {
        LoginDemo: { ...stack(`aws://${ACCOUNT}/us-east-1`), displayName: 'LoginDemo' },
        Agnostic: { ...stack('aws://unknown-account/unknown-region'), displayName: 'Agnostic' },
      },
    }),
  )
  await writeFile(path.join(dir, 'LoginDemo.template.json'), JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }))
}

/** Runs the CDK CLI; resolves with its combined output and exit code (never rejects). */
async function cdk(args, { cwd = project, env = {} } = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [cdkBin, ...args, '--no-notices'], {
      cwd,
      env: sandbox.childEnv({
        AWS_ENDPOINT_URL: cloudFormation.url,
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
        ...env,
      }),
      timeout: 120_000,
    })
    return { code: 0, output: stdout + stderr }
  } catch (error) {
    return { code: error.code, output: `${error.stdout}${error.stderr}` }
  }
}

before(async () => {
  mock = await startSigninMock()
  sandbox = await makeSandbox(mock)
  session = await login(sandbox)
  cloudFormation = await startCloudFormationStandIn()
  appDir = path.join(sandbox.dir, 'app')
  await writeCloudAssembly(path.join(appDir, 'cdk.out'))
})

after(async () => {
  await cloudFormation?.stop()
  await mock?.stop()
  await sandbox?.remove()
})

test('the CDK CLI under test predates login sessions', async () => {
  const version = await installedVersion('aws-cdk')
  assert.ok(compareVersions(version, '2.1034.0') < 0, version)
})

test('without the plugin, the old CDK CLI finds no credentials for the login profile', async () => {
  const deploy = await cdk(['deploy', 'LoginDemo', '--app', 'cdk.out', '--require-approval', 'never'], { cwd: appDir })
  assert.notEqual(deploy.code, 0)
  assert.match(deploy.output, new RegExp(`Need to perform AWS calls for account ${ACCOUNT}, but no credentials have been configured`))
  const agnostic = await cdk(['deploy', 'Agnostic', '--app', 'cdk.out', '--require-approval', 'never'], { cwd: appDir })
  assert.match(agnostic.output, /Unable to resolve AWS account to use/)
})

test('cdk deploy --plugin: login credentials reach STS and CloudFormation', async () => {
  const before = cloudFormation.calls.length
  const stsBefore = stsCalls(await mock.stats(), 'GetCallerIdentity', 'ok')
  const deploy = await cdk(
    ['deploy', 'LoginDemo', '--app', 'cdk.out', '--require-approval', 'never', '--plugin', 'aws-login-provider/cdk-plugin', '-v'],
    { cwd: appDir },
  )
  assert.notEqual(deploy.code, 0, 'nothing can be created without CloudFormation')
  assert.match(deploy.output, new RegExp(`Using aws-login-provider credentials for account ${ACCOUNT}`))
  assert.match(deploy.output, new RegExp(REFUSAL))
  assert.doesNotMatch(deploy.output, /no credentials have been configured/)

  const { accessToken } = await readCache(sandbox, session)
  const calls = cloudFormation.calls.slice(before)
  assert.ok(calls.some((c) => c.action === 'DescribeStacks'), JSON.stringify(calls))
  assert.ok(calls.length > 0 && calls.every((c) => c.accessKey === accessToken.accessKeyId), JSON.stringify(calls))
  assert.ok(stsCalls(await mock.stats(), 'GetCallerIdentity', 'ok') > stsBefore, 'STS validated the plugin credentials')
})

test('"plugin" in cdk.json works like --plugin', async () => {
  const before = cloudFormation.calls.length
  const cdkJson = path.join(appDir, 'cdk.json')
  await writeFile(cdkJson, JSON.stringify({ app: 'cdk.out', plugin: ['aws-login-provider/cdk-plugin'] }))
  const deploy = await cdk(['deploy', 'LoginDemo', '--require-approval', 'never', '-v'], { cwd: appDir })
  await rm(cdkJson)
  assert.match(deploy.output, new RegExp(`Using aws-login-provider credentials for account ${ACCOUNT}`))
  assert.match(deploy.output, new RegExp(REFUSAL))
  assert.ok(cloudFormation.calls.length > before)
})

test('cdk bootstrap aws://ACCOUNT/REGION with the plugin gets as far as creating the toolkit stack', async () => {
  const before = cloudFormation.calls.length
  const bootstrap = await cdk(['bootstrap', `aws://${ACCOUNT}/us-east-1`, '--plugin', 'aws-login-provider/cdk-plugin', '-v'])
  assert.match(bootstrap.output, new RegExp(`Using aws-login-provider credentials for account ${ACCOUNT}`))
  assert.match(bootstrap.output, new RegExp(REFUSAL))
  const actions = cloudFormation.calls.slice(before).map((c) => c.action)
  assert.ok(actions.includes('CreateChangeSet'), actions.join(', '))
})

test('the plugin does not answer for an account without a login session', async () => {
  const deploy = await cdk(
    ['bootstrap', 'aws://444455556666/us-east-1', '--plugin', 'aws-login-provider/cdk-plugin'],
  )
  assert.notEqual(deploy.code, 0)
  assert.match(deploy.output, /Need to perform AWS calls for account 444455556666/)
})

test('before 2.1034.0 without the plugin: the CLI\'s process profile serves even env-agnostic stacks', async () => {
  // What the README tells CDK users: `aws-login configure process-profile`, then `--profile`.
  const awsLogin = requiredEnv('AWS_LOGIN_TEST_AWS_LOGIN')
  await execFileAsync(awsLogin, ['configure', 'process-profile', '--profile', 'login-process', '--login-profile', sandbox.profile], {
    env: sandbox.childEnv(),
  })
  const deploy = await cdk(['deploy', 'Agnostic', '--app', 'cdk.out', '--require-approval', 'never', '--profile', 'login-process'], {
    cwd: appDir,
  })
  assert.doesNotMatch(deploy.output, /Unable to resolve AWS account/)
  assert.match(deploy.output, new RegExp(REFUSAL))
  const { accessToken } = await readCache(sandbox, session)
  assert.equal(cloudFormation.calls.at(-1).accessKey, accessToken.accessKeyId)
})

// Last: it ends every session on the mock.
test('an expired login session: the CDK CLI shows the message that says to log in again', async () => {
  await mock.admin('POST', '/__admin/sessions/expire')
  await ageCache(sandbox, session, -30)
  const deploy = await cdk(
    ['deploy', 'LoginDemo', '--app', 'cdk.out', '--require-approval', 'never', '--plugin', 'aws-login-provider/cdk-plugin'],
    { cwd: appDir },
  )
  assert.notEqual(deploy.code, 0)
  assert.match(deploy.output, /The login session for profile 'login' has expired \(TOKEN_EXPIRED\)/)
  assert.match(deploy.output, /aws-login login --profile login/)
})
