// A TypeScript user's project, checked by the real compiler (`typescript` from npm, `tsc -p`
// with `"strict": true`), once per module resolution a project uses: `node16` (ESM `.mts` and
// CommonJS `.cts` files) and `bundler`. Correct code importing `aws-login-provider` and
// `aws-login-provider/cdk-plugin` compiles; each misuse is an error at its own line. (That the
// provider fits `credentials:` of a real `@aws-sdk/client-sts` client: package.test.mjs.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

import { requiredEnv } from './harness.mjs'

const execFileAsync = promisify(execFile)
const project = requiredEnv('AWS_LOGIN_TEST_PROJECT')
const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc')

const CORRECT = `
import { fromLogin, listLoginProfiles, listProfiles, loginErrorNames, type FromLoginInit, type LoginCredentials, type LoginError, type PlannedProfile } from 'aws-login-provider'
import plugin, { init, version, credentialProviderSource, type CredentialProviderSource } from 'aws-login-provider/cdk-plugin'

const options: FromLoginInit = { profile: 'dev', configFilepath: '/tmp/config', logger: { warn: (m: string) => void m } }
const provider: () => Promise<LoginCredentials> = fromLogin(options)
const resolved: Promise<LoginCredentials> = fromLogin()()
const expires: Promise<Date> = resolved.then((c) => c.expiration)
const account: Promise<string> = resolved.then((c) => c.accountId)
const profiles: Promise<string[]> = listLoginProfiles().then((all) => all.map((p) => p.name))
const names: readonly string[] = loginErrorNames
const roleAccounts: Promise<(string | undefined)[]> = listProfiles().then((all: PlannedProfile[]) =>
  all.filter((p) => p.served && p.roleArns.length > 0).map((p) => p.accountId),
)
const retryable = (e: LoginError): boolean => !e.tryNextLink && e.code === 'SessionExpired'
const pluginVersion: '1' = version
init({ registerCredentialProviderSource: (s: CredentialProviderSource) => void s.canProvideCredentials('111122223333') })
plugin.init({ registerCredentialProviderSource: () => undefined })
const available: Promise<boolean> = credentialProviderSource.isAvailable()
export { provider, expires, account, profiles, names, roleAccounts, retryable, pluginVersion, available }
`

// Line number (1-based, in MISUSE) -> the TypeScript error code it must produce.
const MISUSE_LINES = [
  ["import { fromLogin } from 'aws-login-provider'", null],
  ["import { init, getProvider } from 'aws-login-provider/cdk-plugin'", 'TS2305'],
  ["fromLogin({ profile: 42 })", 'TS2322'],
  ["fromLogin({ proflie: 'dev' })", 'TS2561'],
  ["fromLogin('dev')", 'TS2559'],
  ["const key: number = fromLogin()().then((c) => c.accessKeyId)", 'TS2322'],
  ["init({})", 'TS2345'],
  ["export { key }", null],
]
const MISUSE = MISUSE_LINES.map(([line]) => line).join('\n') + '\n'

const SETUPS = [
  { name: 'node16-esm', module: 'node16', moduleResolution: 'node16', ext: 'mts' },
  { name: 'node16-cjs', module: 'node16', moduleResolution: 'node16', ext: 'cts' },
  { name: 'bundler', module: 'esnext', moduleResolution: 'bundler', ext: 'ts' },
]

/**
 * A TypeScript project inside the test project (so `node_modules` resolves as in a user's):
 * `tsconfig.json`, `correct.<ext>` and `misuse.<ext>`, compiled together by one `tsc -p`.
 */
async function tsProject(setup) {
  const dir = path.join(project, 'ts', setup.name)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const tsconfig = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      target: 'es2022',
      module: setup.module,
      moduleResolution: setup.moduleResolution,
      types: ['node'],
      skipLibCheck: false,
    },
    files: [`correct.${setup.ext}`, `misuse.${setup.ext}`],
  }
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  await writeFile(path.join(dir, `correct.${setup.ext}`), CORRECT)
  await writeFile(path.join(dir, `misuse.${setup.ext}`), MISUSE)
  return dir
}

for (const setup of SETUPS) {
  test(`tsc --strict, moduleResolution ${setup.moduleResolution} (.${setup.ext}): correct use compiles, each misuse fails at its line`, async () => {
    const dir = await tsProject(setup)
    let output = ''
    try {
      await execFileAsync(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir })
      assert.fail('tsc accepted the misuse file')
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error
      output = `${error.stdout}${error.stderr}`
    }
    const errors = [...output.matchAll(/^(\w+)\.[mc]?ts\((\d+),\d+\): error (TS\d+)/gm)].map((m) => ({ file: m[1], line: Number(m[2]), code: m[3] }))
    assert.ok(errors.length > 0, `tsc failed without compile errors:\n${output}`)
    // The correct file compiles: no error in it, and nothing about finding the package.
    assert.deepEqual(errors.filter((e) => e.file !== 'misuse'), [], output)
    assert.ok(!/TS2307|TS1479|TS7016/.test(output), output)
    const expected = MISUSE_LINES.flatMap(([, code], i) => (code ? [{ file: 'misuse', line: i + 1, code }] : []))
    assert.deepEqual(errors, expected, output)
  })
}
