'use strict'
// aws-login-provider: login sessions (`aws login`) as a JS SDK v3 credential provider.
// The work (config, token cache, refresh with DPoP, cross-process lock) happens in the native
// addon on a worker thread; this file only adapts shapes and error names.

const binding = require('./binding.js')

/** Every error name the addon uses (it puts the name in `code`). */
const ERROR_NAMES = new Set(binding.loginErrorNames())
/** The names meaning "this profile is not a login profile": an SDK provider chain may then try
 *  its next provider (`tryNextLink`), as the SDK's own providers do. */
const NEXT_LINK_NAMES = new Set(binding.nextLinkErrorNames())

/**
 * Gives an addon error the `name` of its kind; the message stays the one the `aws-login` CLI
 * prints for the same failure.
 */
function toLoginError(error) {
  if (error instanceof Error && ERROR_NAMES.has(error.code)) {
    error.name = error.code
    error.tryNextLink = NEXT_LINK_NAMES.has(error.code)
  }
  return error
}

function pickOptions(init, callerClientConfig) {
  const profile = init.profile ?? callerClientConfig?.profile
  const options = {}
  if (profile !== undefined) options.profile = String(profile)
  if (init.cacheDirectory !== undefined) options.cacheDirectory = String(init.cacheDirectory)
  if (init.configFilepath !== undefined) options.configFilepath = String(init.configFilepath)
  return options
}

/**
 * A credential provider for the login session of a profile (`login_session` in the shared config,
 * tokens under `~/.aws/login/cache`), for `credentials:` of any `@aws-sdk/client-*` v3 client.
 *
 * @param {{ profile?: string, cacheDirectory?: string, configFilepath?: string }} [init]
 * @returns {(props?: { callerClientConfig?: { profile?: string } }) => Promise<{
 *   accessKeyId: string, secretAccessKey: string, sessionToken: string, expiration: Date, accountId: string }>}
 */
function fromLogin(init = {}) {
  if (init === null || typeof init !== 'object') {
    throw new TypeError('fromLogin(init): init must be an object like { profile, cacheDirectory, configFilepath }')
  }
  return async function loginCredentials(props = {}) {
    const options = pickOptions(init, props?.callerClientConfig)
    try {
      return await binding.resolveLoginCredentials(options)
    } catch (error) {
      throw toLoginError(error)
    }
  }
}

/**
 * The profiles of the shared config that hold a login session, in file order, each with the
 * account of its session. The CDK plugin picks from these.
 *
 * @param {{ configFilepath?: string }} [init]
 */
async function listLoginProfiles(init = {}) {
  try {
    return await binding.listLoginProfiles(pickOptions(init, undefined))
  } catch (error) {
    throw toLoginError(error)
  }
}

module.exports = { fromLogin, listLoginProfiles }
