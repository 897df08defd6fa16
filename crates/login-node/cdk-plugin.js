'use strict'
// AWS CDK CLI credential plugin: serves the login sessions (`aws login`) of the shared config to
// CDK CLI versions that cannot read them (before 2.1034.0), and to newer ones for accounts other
// than the default profile's.
//
//   cdk deploy --plugin aws-login-provider/cdk-plugin
//   cdk.json: { "plugin": ["aws-login-provider/cdk-plugin"] }
//
// The CLI asks each plugin for credentials only for an account it already knows (the stack's
// `env.account`, or the account of `cdk bootstrap aws://ACCOUNT/REGION`), and only when its
// default credentials are for another account or missing. The plugin then picks the login
// profile whose session is in that account: `AWS_PROFILE` if it is one, else `default`, else the
// first in the config file.

const { fromLogin, listLoginProfiles } = require('./index.js')

const PLUGIN_NAME = 'aws-login-provider'

/** The login profile to use for `accountId`, or undefined when no login session is in it. */
async function profileForAccount(accountId) {
  const candidates = (await listLoginProfiles()).filter((p) => p.accountId === String(accountId))
  if (candidates.length === 0) return undefined
  const preferred = [process.env.AWS_PROFILE, process.env.AWS_DEFAULT_PROFILE, 'default']
  for (const name of preferred) {
    const match = name && candidates.find((p) => p.name === name)
    if (match) return match
  }
  return candidates[0]
}

/**
 * An AWS SDK for JavaScript v2 style credentials object, for CDK CLI versions that predate
 * `supportsV3Providers` (they call `getPromise()` and hand the object to SDK v2 clients).
 */
function v2Credentials(provider, initial) {
  const credentials = {
    accessKeyId: initial.accessKeyId,
    secretAccessKey: initial.secretAccessKey,
    sessionToken: initial.sessionToken,
    expireTime: initial.expiration,
    expired: false,
    needsRefresh() {
      // SDK v2 refreshes when less than its expiry window remains; a minute keeps it simple.
      return this.expired || !this.expireTime || this.expireTime.getTime() - Date.now() < 60_000
    },
    refresh(callback) {
      provider().then(
        (fresh) => {
          this.accessKeyId = fresh.accessKeyId
          this.secretAccessKey = fresh.secretAccessKey
          this.sessionToken = fresh.sessionToken
          this.expireTime = fresh.expiration
          this.expired = false
          callback()
        },
        (error) => callback(error),
      )
    },
    get(callback) {
      if (this.needsRefresh()) this.refresh(callback)
      else callback()
    },
    getPromise() {
      return new Promise((resolve, reject) => this.get((error) => (error ? reject(error) : resolve())))
    },
    refreshPromise() {
      return new Promise((resolve, reject) => this.refresh((error) => (error ? reject(error) : resolve())))
    },
  }
  return credentials
}

const credentialProviderSource = {
  name: PLUGIN_NAME,

  async isAvailable() {
    return (await listLoginProfiles()).length > 0
  },

  async canProvideCredentials(accountId) {
    return (await profileForAccount(accountId)) !== undefined
  },

  async getProvider(accountId, _mode, options) {
    const profile = await profileForAccount(accountId)
    if (!profile) {
      const error = new Error(
        `No login session in the AWS config is for account ${accountId}. ` +
          `Run 'aws login --profile NAME' with a principal of account ${accountId} first.`,
      )
      error.name = 'LoginSessionNotFound'
      throw error
    }
    const provider = fromLogin({ profile: profile.name })
    if (options && options.supportsV3Providers) {
      return provider
    }
    return v2Credentials(provider, await provider())
  },
}

module.exports = {
  version: '1',
  init(host) {
    host.registerCredentialProviderSource(credentialProviderSource)
  },
  credentialProviderSource,
}
