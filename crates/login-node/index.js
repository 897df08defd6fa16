'use strict'
// aws-login-provider: login sessions (`aws login`) as a JS SDK v3 credential provider.
// The work (config, token cache, refresh with DPoP, cross-process lock) happens in the native
// addon on a worker thread; this file only picks options and unwraps results. Errors come from
// the addon already shaped: an `Error` whose `name` is the failure kind (`SessionExpiredError`,
// …), `code` the bare kind, `tryNextLink` set when the profile is not a login profile at all.

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
 * A credential provider for the login session of a profile (`login_session` in the shared
 * config, tokens under `~/.aws/login/cache`), for `credentials:` of any `@aws-sdk/client-*` v3
 * client. `init.logger` (the SDK's logger shape) hears warnings, e.g. a refresh that failed
 * while the cached credentials are still valid.
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

/** Every `name` a login error can have. */
const loginErrorNames = Object.freeze(binding.loginErrorNames())

module.exports = { fromLogin, listLoginProfiles, loginErrorNames }
