// Test harness: a real signin-mock process over loopback HTTP, a throw-away AWS config and token
// cache per test file, and a real login through the `aws-login` binary (the mock auto-approves,
// so the "browser" is a plain HTTP GET that follows the redirect to the loopback callback).
//
// Paths come from the environment xtask/src/node.rs sets:
//   AWS_LOGIN_TEST_SIGNIN_MOCK  the signin-mock binary
//   AWS_LOGIN_TEST_AWS_LOGIN    the aws-login binary
//   AWS_LOGIN_TEST_PROJECT      this test project's directory (node_modules with the SDK under test)

import { spawn, execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)
export const here = path.dirname(fileURLToPath(import.meta.url))

export function requiredEnv(name) {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set; run the suite with 'cargo xtask test'`)
  return value
}

/** The version of an installed package of the test project. */
export async function installedVersion(name) {
  const project = requiredEnv('AWS_LOGIN_TEST_PROJECT')
  const manifest = JSON.parse(await readFile(path.join(project, 'node_modules', name, 'package.json'), 'utf8'))
  return manifest.version
}

/** Compares dotted versions numerically: negative when a < b. */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/**
 * Starts signin-mock on a free loopback port; `args` are extra flags
 * (e.g. `['--access-token-lifetime', '2']`).
 */
export async function startSigninMock({ autoApprove = 'alice', args: extra = [] } = {}) {
  const binary = requiredEnv('AWS_LOGIN_TEST_SIGNIN_MOCK')
  const args = ['--port', '0', ...extra]
  if (autoApprove) args.push('--auto-approve', autoApprove)
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const lines = createInterface({ input: child.stdout })
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`signin-mock printed no URL in 30 s; stderr:\n${stderr}`)), 30_000)
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(line.trim())
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`signin-mock exited with ${code} before printing its URL; stderr:\n${stderr}`))
    })
  })
  lines.on('line', () => {}) // keep draining stdout
  const base = url.replace(/\/+$/, '')

  async function admin(method, route, body) {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`signin-mock ${method} ${route}: HTTP ${response.status}: ${text}`)
    return text ? JSON.parse(text) : undefined
  }

  return {
    url: base,
    admin,
    stats: () => admin('GET', '/__admin/stats'),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await new Promise((resolve) => child.once('exit', resolve))
      }
    },
  }
}

/** Token-endpoint calls with `grant` (`refresh_token`, `authorization_code`), any outcome. */
export function tokenCalls(stats, grant) {
  return Object.values(stats.token?.[grant] ?? {}).reduce((sum, n) => sum + n, 0)
}

/** STS calls of `action` with `outcome` (`ok`, `ExpiredToken`, …; any when omitted). */
export function stsCalls(stats, action, outcome) {
  const outcomes = stats.sts?.[action] ?? {}
  if (outcome) return outcomes[outcome] ?? 0
  return Object.values(outcomes).reduce((sum, n) => sum + n, 0)
}

// Every AWS setting of the caller, except the paths the suite itself runs on.
const AWS_VARIABLES = /^(AWS_(?!LOGIN_TEST_)|AMAZON_)/

/**
 * A throw-away HOME with an AWS config file and a login token cache, pointed at `mock`. Applies
 * its variables to `process.env` (dropping every other AWS_* variable) so the SDK and the addon
 * see only the sandbox.
 */
export async function makeSandbox(mock, { profile = 'login', region = 'us-east-1' } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'aws-login-node-'))
  const configFile = path.join(dir, '.aws', 'config')
  const cacheDir = path.join(dir, '.aws', 'login', 'cache')
  await mkdir(path.dirname(configFile), { recursive: true })
  await writeFile(configFile, `[profile ${profile}]\nregion = ${region}\n`)
  await writeFile(path.join(dir, '.aws', 'credentials'), '')
  const env = {
    HOME: dir,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, '.aws', 'credentials'),
    AWS_LOGIN_CACHE_DIRECTORY: cacheDir,
    AWS_ENDPOINT_URL_SIGNIN: mock.url,
    AWS_ENDPOINT_URL_STS: mock.url,
    AWS_ENDPOINT_URL_SSO_OIDC: mock.url,
    AWS_ENDPOINT_URL_SSO: mock.url,
    AWS_REGION: region,
    AWS_PROFILE: profile,
    AWS_EC2_METADATA_DISABLED: 'true',
  }
  for (const name of Object.keys(process.env)) {
    if (AWS_VARIABLES.test(name)) delete process.env[name]
  }
  Object.assign(process.env, env)
  return {
    dir,
    configFile,
    cacheDir,
    profile,
    region,
    env,
    /** process.env for child processes: the sandbox and nothing of the caller's AWS setup. */
    childEnv(extra = {}) {
      const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !AWS_VARIABLES.test(k)))
      return { ...base, ...env, ...extra }
    },
    async remove() {
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Logs `profile` in through the real `aws-login` binary against the mock; returns the session ARN. */
export async function login(sandbox, profile = sandbox.profile) {
  const binary = requiredEnv('AWS_LOGIN_TEST_AWS_LOGIN')
  const browser = `${process.execPath} ${path.join(here, 'browser.mjs')}`
  try {
    await execFileAsync(binary, ['login', '--profile', profile, '--region', sandbox.region], {
      env: sandbox.childEnv({ BROWSER: browser }),
      timeout: 60_000,
    })
  } catch (error) {
    throw new Error(`aws-login login failed: ${error.message}\nstdout:\n${error.stdout}\nstderr:\n${error.stderr}`)
  }
  const config = await readFile(sandbox.configFile, 'utf8')
  const arn = sessionOf(config, profile)
  if (!arn) throw new Error(`aws-login login wrote no login_session for ${profile}:\n${config}`)
  return arn
}

/**
 * Signs in to IAM Identity Center for `profile` through the real `aws-login sso login` (PKCE;
 * the mock must run with `--sso-auto-approve`, so the "browser" only follows the redirect).
 */
export async function ssoLogin(sandbox, profile) {
  const binary = requiredEnv('AWS_LOGIN_TEST_AWS_LOGIN')
  const browser = `${process.execPath} ${path.join(here, 'browser.mjs')}`
  try {
    await execFileAsync(binary, ['sso', 'login', '--profile', profile], {
      env: sandbox.childEnv({ BROWSER: browser }),
      timeout: 60_000,
    })
  } catch (error) {
    throw new Error(`aws-login sso login failed: ${error.message}\nstderr:\n${error.stderr}`)
  }
}

/** The `login_session` of `profile` in config text. */
export function sessionOf(configText, profile) {
  const header = profile === 'default' ? /^\[(default|profile default)\]\s*$/ : new RegExp(`^\\[profile ${profile}\\]\\s*$`)
  let inSection = false
  for (const line of configText.split(/\r?\n/)) {
    if (/^\s*\[/.test(line)) inSection = header.test(line.trim())
    else if (inSection) {
      const m = /^\s*login_session\s*=\s*(\S+)\s*$/.exec(line)
      if (m) return m[1]
    }
  }
  return undefined
}

/** The cache file of a session, as every tool names it. */
export function cacheFileOf(sandbox, sessionArn) {
  const name = createHash('sha256').update(sessionArn, 'utf8').digest('hex')
  return path.join(sandbox.cacheDir, `${name}.json`)
}

export async function readCache(sandbox, sessionArn) {
  return JSON.parse(await readFile(cacheFileOf(sandbox, sessionArn), 'utf8'))
}

/**
 * Moves the cached access token's expiry to `secondsFromNow` (negative: already expired), as if
 * that much time had passed; everything else in the file is kept.
 */
export async function ageCache(sandbox, sessionArn, secondsFromNow) {
  const file = cacheFileOf(sandbox, sessionArn)
  const entry = JSON.parse(await readFile(file, 'utf8'))
  const at = new Date(Date.now() + secondsFromNow * 1000)
  entry.accessToken.expiresAt = at.toISOString().replace(/\.\d{3}Z$/, 'Z')
  await writeFile(file, JSON.stringify(entry, null, 2))
  return entry
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
