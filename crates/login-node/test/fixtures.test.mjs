// The shared fixture vectors (fixtures/*.json, see fixtures/README.md) run through the installed
// package's `aws-login-provider/protocol` export, so the Node build computes exactly what the
// Rust, Python and peer suites expect.

import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

import { requiredEnv } from './harness.mjs'

const fixtures = requiredEnv('AWS_LOGIN_TEST_FIXTURES')
const require = createRequire(path.join(requiredEnv('AWS_LOGIN_TEST_PROJECT'), 'package.json'))
const protocol = require('aws-login-provider/protocol')

const load = (name) => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'))
const bytes = (relative) => readFileSync(path.join(fixtures, relative))
const text = (relative) => readFileSync(path.join(fixtures, relative), 'utf8')

function cases(name, key) {
  const found = load(name)[key]
  assert.ok(Array.isArray(found) && found.length > 0, `${name} has no ${key}`)
  return found
}

/** Asserts that `fn` throws a LoginProtocolError with `code`; returns the error. */
function throwsKind(fn, code) {
  let caught
  assert.throws(fn, (error) => {
    caught = error
    assert.equal(error.name, 'LoginProtocolError')
    if (code !== undefined) assert.equal(error.code, code, error.message)
    return true
  })
  return caught
}

describe('pkce.json', () => {
  for (const c of cases('pkce.json', 'pairs')) {
    test(`challenge of ${c.verifier.slice(0, 16)}…`, () => assert.equal(protocol.pkceChallenge(c.verifier), c.challenge))
  }
  for (const c of cases('pkce.json', 'fromRandomBytes')) {
    test(`verifier from bytes ${c.bytesHex.slice(0, 16)}…`, () =>
      assert.equal(protocol.pkceVerifierFromRandomBytes(Buffer.from(c.bytesHex, 'hex')) ?? null, c.verifier))
  }
  for (const verifier of cases('pkce.json', 'invalidVerifiers')) {
    test(`rejects verifier ${JSON.stringify(verifier).slice(0, 24)}`, () => throwsKind(() => protocol.pkceChallenge(verifier)))
  }
})

describe('authorize_urls.json', () => {
  for (const c of cases('authorize_urls.json', 'cases')) {
    test(c.name, () => {
      const redirect =
        c.mode === 'same-device' ? `http://127.0.0.1:${c.redirectPort}/oauth/callback` : protocol.confirmationUrl(c.base)
      assert.equal(redirect, c.redirectUri)
      assert.equal(protocol.authorizeRequestUrl(c.base, c.clientId, c.state, c.codeChallenge, redirect), c.url)
    })
  }
})

describe('dpop.json', () => {
  const fixture = load('dpop.json')
  const sec1 = text(fixture.keySec1File)
  const pkcs8 = text(fixture.keyPkcs8File)

  test('both PEM forms load to the same key, thumbprint and byte-exact PEMs', () => {
    for (const pem of [sec1, pkcs8]) {
      const info = protocol.dpopKeyInfo(pem)
      assert.equal(info.publicJwk, typeof fixture.publicJwk === 'string' ? fixture.publicJwk : JSON.stringify(fixture.publicJwk))
      assert.equal(info.x, fixture.jwk.x)
      assert.equal(info.y, fixture.jwk.y)
      assert.equal(info.thumbprint, fixture.thumbprint)
      assert.equal(info.sec1Pem, sec1, 'SEC1 writing is byte-exact')
      assert.equal(info.pkcs8Pem, pkcs8)
    }
  })
  for (const c of fixture.proofs) {
    test(`proof ${c.htm} ${c.htu} iat=${c.iat}`, () => {
      const proof = protocol.dpopProof(sec1, c.htm, c.htu, c.iat, c.jti)
      const [header, payload] = proof.split('.')
      assert.equal(header, c.headerSegment)
      assert.equal(payload, c.payloadSegment)
      assert.equal(proof, c.proof, 'RFC 6979 signatures are deterministic')
      const claims = protocol.dpopVerify(c.proof)
      assert.deepEqual({ ...claims }, { htm: c.htm, htu: c.htu, iat: c.iat, jti: c.jti, thumbprint: fixture.thumbprint })
    })
  }
  for (const c of fixture.peerProofs) {
    test(`proof made by ${c.peer} verifies`, () => {
      const claims = protocol.dpopVerify(c.proof)
      assert.equal(claims.thumbprint, fixture.thumbprint)
      assert.equal(claims.htu, c.htu)
    })
  }
  for (const c of fixture.badKeys) {
    test(`bad key: ${c.name}`, () => throwsKind(() => protocol.dpopKeyInfo(c.pem), 'InvalidDpopKey'))
  }
})

describe('endpoints.json', () => {
  for (const c of cases('endpoints.json', 'cases')) {
    test(`${c.region} fips=${c.fips} dualStack=${c.dualStack}`, () => {
      if (c.base === null || c.base === undefined) throwsKind(() => protocol.endpointBase(c.region, c.fips, c.dualStack))
      else assert.equal(protocol.endpointBase(c.region, c.fips, c.dualStack), c.base)
    })
  }
  for (const c of cases('endpoints.json', 'overrides')) {
    test(`override ${c.url}`, () => {
      if (c.tokenUrl === null || c.tokenUrl === undefined) throwsKind(() => protocol.overrideTokenUrl(c.url))
      else assert.equal(protocol.overrideTokenUrl(c.url), c.tokenUrl)
    })
  }
})

describe('export_formats.json', () => {
  for (const c of cases('export_formats.json', 'cases')) {
    for (const [format, expected] of Object.entries(c.outputs)) {
      test(`${c.name}: --format ${format}`, () => {
        const credentials = { ...c.credentials }
        if (credentials.accountId === null) delete credentials.accountId
        assert.equal(protocol.renderExport(format, credentials), expected)
      })
    }
  }
})

describe('cache.json', () => {
  const fixture = load('cache.json')
  for (const c of fixture.entries) {
    test(`entry written by ${c.format}`, () => {
      const raw = bytes(c.file)
      assert.equal(protocol.cacheFileName(c.sessionArn), c.fileName)
      const parsed = protocol.parseCacheEntry(raw)
      for (const field of ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expirationUnix']) {
        assert.equal(parsed[field], c.credentials[field], field)
      }
      assert.equal(parsed.accountId ?? null, c.credentials.accountId ?? null)
      assert.equal(parsed.thumbprint, c.thumbprint)
      if (c.rewriteIsIdentity) assert.equal(protocol.rewriteCacheEntry(raw), raw.toString('utf8'), 'rewrite is byte-identical')
    })
  }
  for (const c of fixture.refreshDecisions) {
    test(`refresh decision for ${c.file} at ${c.now}`, () => assert.equal(protocol.refreshDecision(bytes(c.file), c.now), c.decision))
  }
  for (const c of fixture.applyRefresh) {
    test(`refresh of ${c.file} writes ${c.expectedFile}`, () => {
      const written = protocol.applyRefresh(bytes(c.file), JSON.stringify(c.responseBody), c.now)
      assert.equal(written, text(c.expectedFile))
      assert.ok(JSON.parse(written).accessToken.expiresAt.startsWith(c.expectedExpiresAt.slice(0, 19)))
    })
  }
  for (const c of fixture.invalid) {
    test(`invalid: ${c.file}`, () => {
      const error = throwsKind(() => protocol.parseCacheEntry(bytes(c.file)), c.error)
      assert.match(error.message, /log in again/)
      for (const field of c.missingFields ?? []) assert.ok(error.message.includes(field), field)
    })
  }
  for (const c of fixture.logoutAll) {
    test(`logout --all selects ${c.json.slice(0, 30)}`, () =>
      assert.equal(protocol.isLoginEntry(Buffer.from(c.json, 'utf8')), c.isLoginEntry))
  }
})

describe('token_responses.json', () => {
  for (const c of cases('token_responses.json', 'cases')) {
    test(c.name, () => {
      const headers = Object.entries(c.headers ?? {})
      const got = protocol.parseTokenReply(c.status, headers, c.body)
      const expect = c.expect
      assert.equal(got.kind, expect.kind, JSON.stringify(got))
      if (expect.kind === 'ok') {
        for (const field of ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiresIn', 'refreshToken']) {
          assert.equal(got[field], expect[field], field)
        }
        assert.equal(got.idToken ?? null, expect.idToken ?? null)
      } else {
        assert.equal(got.error, expect.error)
        assert.equal(got.retryable, expect.retryable)
        assert.equal(got.needsLogin, expect.needsLogin)
        if (expect.code !== null && expect.code !== undefined) assert.equal(got.code, expect.code)
        for (const needle of expect.messageContains ?? []) assert.ok(got.message.includes(needle), needle)
      }
    })
  }
})

describe('callbacks.json', () => {
  const fixture = load('callbacks.json')
  for (const c of fixture.callbacks) {
    test(`callback ${c.query.slice(0, 40)}`, () => {
      if ('code' in c) assert.equal(protocol.callbackCode(c.query, fixture.expectedState), c.code)
      else throwsKind(() => protocol.callbackCode(c.query, fixture.expectedState), c.error)
    })
  }
  for (const c of fixture.remoteCodes) {
    test(`remote code ${c.pasted.slice(0, 24)}`, () => {
      if ('code' in c) assert.equal(protocol.remoteCode(c.pasted, fixture.expectedState), c.code)
      else throwsKind(() => protocol.remoteCode(c.pasted, fixture.expectedState), c.error)
    })
  }
})

describe('id_tokens.json', () => {
  for (const c of cases('id_tokens.json', 'cases')) {
    test(`id token …${c.idToken.slice(-16)}`, () => {
      if ('error' in c) {
        throwsKind(() => protocol.loginSessionOfIdToken(c.idToken), c.error)
      } else {
        const session = protocol.loginSessionOfIdToken(c.idToken)
        for (const field of ['arn', 'partition', 'accountId', 'resource', 'cacheFileName']) {
          assert.equal(session[field], c[field], field)
        }
      }
    })
  }
})

describe('chain.json', () => {
  // The fixture spells absent settings as null and lists only the fields of the base's kind.
  const plain = (object) => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== null))
  const roleOf = (role) => ({
    profile: role.profile,
    roleArn: role.roleArn,
    roleSessionName: role.roleSessionName ?? null,
    externalId: role.externalId ?? null,
    mfaSerial: role.mfaSerial ?? null,
    durationSeconds: role.durationSeconds ?? null,
  })
  for (const c of cases('chain.json', 'cases')) {
    test(c.name, () => {
      if (c.error) {
        const error = throwsKind(() => protocol.chainPlan(c.config, c.credentials, c.profile), c.error.kind)
        for (const part of c.error.messageContains) assert.ok(error.message.includes(part), `${error.message} lacks ${part}`)
      } else {
        const got = protocol.chainPlan(c.config, c.credentials, c.profile)
        assert.deepEqual({ base: plain(got.base), roles: got.roles.map(roleOf), profiles: got.profiles }, c.plan)
      }
    })
  }
})
