// Benchmark: resolving credentials from a valid login cache, `fromLogin()` (this package) vs
// `fromLoginCredentials()` (@aws-sdk/credential-provider-login), in one process, one run.
// The session is created against signin-mock by the real `aws-login` binary; neither provider
// makes a network call while the cache is valid. Rounds alternate between the two so that
// machine noise hits both alike.
//
// Run by `cargo xtask bench` (xtask/src/node.rs) inside a project that has both installed.

import { fromLogin } from 'aws-login-provider'
import { fromLoginCredentials } from '@aws-sdk/credential-provider-login'
import { login, makeSandbox, startSigninMock, tokenCalls } from '../test/harness.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)
const CALLS_PER_ROUND = Number(process.env.BENCH_CALLS ?? 500)
const CONCURRENCY = 8

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function sequential(provider, samples) {
  for (let i = 0; i < CALLS_PER_ROUND; i++) {
    const start = process.hrtime.bigint()
    await provider()
    samples.push(Number(process.hrtime.bigint() - start) / 1000)
  }
}

/** Calls/s with CONCURRENCY calls always in flight. */
async function concurrent(provider) {
  let remaining = CALLS_PER_ROUND
  const start = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (remaining-- > 0) await provider()
    }),
  )
  return CALLS_PER_ROUND / (Number(process.hrtime.bigint() - start) / 1e9)
}

const mock = await startSigninMock()
const sandbox = await makeSandbox(mock)
try {
  await login(sandbox)
  const contenders = [
    { name: 'aws-login-provider fromLogin()', provider: fromLogin({ profile: sandbox.profile }), samples: [], rates: [] },
    {
      name: '@aws-sdk/credential-provider-login fromLoginCredentials()',
      provider: fromLoginCredentials({ profile: sandbox.profile }),
      samples: [],
      rates: [],
    },
  ]
  const a = await contenders[0].provider()
  const b = await contenders[1].provider()
  if (a.accessKeyId !== b.accessKeyId) throw new Error('the two providers disagree about the cached credentials')
  const refreshesBefore = tokenCalls(await mock.stats(), 'refresh_token')

  for (const c of contenders) await sequential(c.provider, []) // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      await sequential(c.provider, c.samples)
      c.rates.push(await concurrent(c.provider))
    }
  }
  if (tokenCalls(await mock.stats(), 'refresh_token') !== refreshesBefore) {
    throw new Error('a provider refreshed during the benchmark; the cache was meant to stay valid')
  }

  console.log(`\nresolve from a valid login cache: ${ROUNDS} rounds x ${CALLS_PER_ROUND} calls, node ${process.version}`)
  console.log('| provider | mean µs | p50 µs | p99 µs | calls/s sequential | calls/s with 8 in flight |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
  for (const c of contenders) {
    const sorted = [...c.samples].sort((x, y) => x - y)
    const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length
    const rate = c.rates.reduce((s, x) => s + x, 0) / c.rates.length
    console.log(
      `| ${c.name} | ${mean.toFixed(1)} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ` +
        `${Math.round(1e6 / mean)} | ${Math.round(rate)} |`,
    )
  }
} finally {
  await mock.stop()
  await sandbox.remove()
}
