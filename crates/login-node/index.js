'use strict'
// aws-login-provider: login sessions (`aws login`), IAM Identity Center profiles and roles on
// top of them as a JS SDK v3 credential provider. The work (config, chain planning, caches,
// refresh with DPoP, AssumeRole, GetRoleCredentials, cross-process locks) happens in the native
// addon on a worker thread; this file only picks options and unwraps results. Errors come from
// the addon already shaped: an `Error` whose `name` is the failure kind (`SessionExpiredError`,
// `AssumeRoleDeniedError`, `SsoSessionExpiredError`, …), `code` the bare kind, `tryNextLink` set
// when the profile is not one aws-login serves at all.

const binding = require('./binding.js')

function nativeOptions(init, callerClientConfig) {
  const options = {}
  const profile = init.profile ?? callerClientConfig?.profile
  if (profile !== undefined && profile !== null) options.profile = String(profile)
  if (init.cacheDirectory !== undefined && init.cacheDirectory !== null) options.cacheDirectory = String(init.cacheDirectory)
  if (init.configFilepath !== undefined && init.configFilepath !== null) options.configFilepath = String(init.configFilepath)
  return options
}

function checkInit(init, signature) {
  if (init === null || typeof init !== 'object') {
    throw new TypeError(`${signature}: init must be an object like { profile, cacheDirectory, configFilepath }`)
  }
}

/**
 * A credential provider for a profile of the shared config, for `credentials:` of any
 * `@aws-sdk/client-*` v3 client: a login profile (`login_session`), an IAM Identity Center
 * profile (`sso_session` + `sso_account_id` + `sso_role_name`, or legacy), or a role
 * (`role_arn` + `source_profile`) on top of any source. `init.logger` (the SDK's logger shape)
 * hears warnings, e.g. a refresh that failed while the cached credentials are still valid.
 */
function fromLogin(init = {}) {
  checkInit(init, 'fromLogin(init)')
  return async function loginCredentials(properties) {
    const options = nativeOptions(init, properties?.callerClientConfig)
    const { credentials, warnings } = await binding.resolveLoginCredentials(options)
    if (warnings.length > 0 && typeof init.logger?.warn === 'function') {
      for (const warning of warnings) init.logger.warn(warning)
    }
    return credentials
  }
}

/**
 * The profiles of the shared config that hold a login session, in file order, each with the
 * account of its session. The CDK plugin picks from these.
 */
async function listLoginProfiles(init = {}) {
  checkInit(init, 'listLoginProfiles(init)')
  return binding.listLoginProfiles(nativeOptions(init, undefined))
}

/**
 * Every profile of the shared config whose chain can be planned, in file order, with what it
 * starts from (`base`), the roles on top, its account and whether aws-login serves it (`served`:
 * a login-session or IAM Identity Center base). Nothing is fetched.
 */
async function listProfiles(init = {}) {
  checkInit(init, 'listProfiles(init)')
  return binding.listProfiles(nativeOptions(init, undefined))
}

/** Every `name` a login error can have. */
const loginErrorNames = Object.freeze(binding.loginErrorNames())

module.exports = { fromLogin, listLoginProfiles, listProfiles, loginErrorNames }
