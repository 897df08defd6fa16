// At expiry, 8 concurrent calls in this process plus 4 other processes resolving the same
// session end in exactly one token request, and all of them get the same new credentials. The
// resolution runs off the JS thread: timers keep firing while a slow refresh is in flight.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { Worker } from 'node:worker_threads'

import { fromLogin } from 'aws-login-provider'
import { ageCache, here, login, makeSandbox, startSigninMock, tokenCalls } from './harness.mjs'

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

/** A process that loads the package and resolves once when told `go` (resolve-once.mjs). */
async function startResolver() {
  const child = spawn(process.execPath, [path.join(here, 'resolve-once.mjs')], {
    env: sandbox.childEnv(),
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout })
  const output = []
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      output.push(line)
      if (line === 'ready') resolve()
    })
    exited.then((code) => reject(new Error(`resolver exited with ${code} before it was ready`)))
  })
  return {
    go: () => child.stdin.write('go\n'),
    done: exited.then(() => JSON.parse(output.at(-1))),
  }
}

test('8 concurrent calls and 4 processes at expiry make one token request', async () => {
  // Slow token responses keep every caller waiting on the same refresh.
  await mock.admin('POST', '/__admin/faults', { target: 'token', latency_ms: 400 })
  await ageCache(sandbox, session, -30) // expired half a minute ago
  const resolvers = await Promise.all([1, 2, 3, 4].map(() => startResolver()))
  const start = await refreshes()

  for (const r of resolvers) r.go()
  const inProcess = await Promise.all(Array.from({ length: 8 }, () => fromLogin()()))
  const inOthers = await Promise.all(resolvers.map((r) => r.done))
  await mock.admin('DELETE', '/__admin/faults')

  for (const other of inOthers) assert.equal(other.error, undefined, other.error)
  const keys = new Set([...inProcess.map((c) => c.accessKeyId), ...inOthers.map((c) => c.accessKeyId)])
  assert.equal(keys.size, 1, `all 12 callers got the same credentials: ${[...keys].join(', ')}`)
  assert.equal(await refreshes(), start + 1, 'exactly one token request')
})

test('the event loop keeps running while a refresh is in flight', async () => {
  await mock.admin('POST', '/__admin/faults', { target: 'token', latency_ms: 1000 })
  await ageCache(sandbox, session, -30)
  let ticks = 0
  const timer = setInterval(() => ticks++, 20)
  try {
    await fromLogin()()
  } finally {
    clearInterval(timer)
    await mock.admin('DELETE', '/__admin/faults')
  }
  // A blocked JS thread would let the timer fire at most once during the one-second refresh.
  assert.ok(ticks >= 10, `timer fired ${ticks} times during a one-second refresh`)
})

test('worker threads resolve too, and a terminated worker leaves the addon usable', async () => {
  const source = `
const { parentPort } = require('node:worker_threads')
const { fromLogin } = require('aws-login-provider')
fromLogin()().then((c) => parentPort.postMessage({ accessKeyId: c.accessKeyId }), (e) => parentPort.postMessage({ error: e.name + ': ' + e.message }))
`
  const expected = (await fromLogin()()).accessKeyId
  for (let i = 0; i < 3; i++) {
    const worker = new Worker(source, { eval: true })
    const answer = await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    assert.equal(answer.error, undefined, answer.error)
    assert.equal(answer.accessKeyId, expected)
  }
  assert.equal((await fromLogin()()).accessKeyId, expected)
})
