'use strict'
// AWS CDK CLI credential plugin: serves the profiles aws-login resolves — login sessions
// (`aws login`), IAM Identity Center profiles, and roles on top of either — to CDK CLI versions
// that cannot read login sessions (before 2.1034.0), and to newer ones for accounts other than
// the default profile's.
//
//   cdk deploy --plugin aws-login-provider/cdk-plugin
//   cdk.json: { "plugin": ["aws-login-provider/cdk-plugin"] }
//
// The CLI asks each plugin for credentials only for an account it already knows (the stack's
// `env.account`, or the account of `cdk bootstrap aws://ACCOUNT/REGION`), and only when its
// default credentials are for another account or missing. The plugin then picks a profile whose
// credentials are for that account (a role's account from its `role_arn`, an SSO profile's
// `sso_account_id`, a login session's account), in a fixed order: `AWS_PROFILE` or
// `AWS_DEFAULT_PROFILE` if it is one of them; else login profiles, then IAM Identity Center
// profiles, then roles, each kind with `default` first and then in config-file order.

const { fromLogin, listProfiles } = require('./index.js')

const PLUGIN_NAME = 'aws-login-provider'

/** Plain login profiles first (what the plugin served alone before), then SSO, then roles. */
function kindRank(profile) {
  if (profile.roleArns.length > 0) return 2
  return profile.base === 'LoginSession' ? 0 : 1
}

/** The profile to use for `accountId`, or undefined when no served profile is for it. */
async function profileForAccount(accountId) {
  const candidates = (await listProfiles()).filter((p) => p.served && p.accountId === String(accountId))
  if (candidates.length === 0) return undefined
  for (const name of [process.env.AWS_PROFILE, process.env.AWS_DEFAULT_PROFILE]) {
    const match = name && candidates.find((p) => p.name === name)
    if (match) return match
  }
  // Array.prototype.sort is stable: file order within a rank.
  const ranked = candidates
    .map((p) => ({ p, rank: kindRank(p) * 2 + (p.name === 'default' ? 0 : 1) }))
    .sort((a, b) => a.rank - b.rank)
  return ranked[0].p
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
    return (await listProfiles()).some((p) => p.served)
  },

  async canProvideCredentials(accountId) {
    return (await profileForAccount(accountId)) !== undefined
  },

  async getProvider(accountId, _mode, options) {
    const profile = await profileForAccount(accountId)
    if (!profile) {
      const error = new Error(
        `No profile in the AWS config that aws-login serves (a login session, an IAM Identity Center ` +
          `profile, or a role over them) is for account ${accountId}. Run 'aws-login login --profile NAME' ` +
          `with a principal of account ${accountId}, 'aws-login configure sso' for an account ${accountId} ` +
          `role, or add a profile with a role_arn in account ${accountId} and source_profile = a login profile.`,
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
