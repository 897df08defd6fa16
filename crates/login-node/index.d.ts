// Public types of aws-login-provider. The data shapes (LoginCredentials, LoginOptions,
// LoginProfile, PlannedProfile) are the declarations napi-rs generates from the addon
// (binding.d.ts).
import type { LoginCredentials, LoginOptions, LoginProfile, PlannedProfile } from './binding'

export type { LoginCredentials, LoginOptions, LoginProfile, PlannedProfile }

/** The SDK's logger shape; only `warn` is used. */
export interface LoginLogger {
  warn?: (message: string) => void
}

export interface FromLoginInit extends LoginOptions {
  /** Hears warnings, e.g. a refresh that failed while the cached credentials are still valid. */
  logger?: LoginLogger
}

/** What the JS SDK passes to a credential provider when a client calls it. */
export interface CredentialProviderCallProperties {
  callerClientConfig?: { profile?: string }
  [key: string]: unknown
}

/** An `AwsCredentialIdentityProvider` of the AWS SDK for JavaScript v3. */
export type LoginCredentialProvider = (properties?: CredentialProviderCallProperties) => Promise<LoginCredentials>

/**
 * A provider of the credentials of a profile: a login session (`aws login`), an IAM Identity
 * Center profile, or a role on top of either (or of keys / `credential_process`), resolved by
 * aws-login's chain with its caches and cross-process locks. Errors are `Error`s whose `name` is
 * one of `loginErrorNames` and whose message is the CLI's (it says what to run).
 */
export declare function fromLogin(init?: FromLoginInit): LoginCredentialProvider

/** The profiles of the shared config holding a login session, in file order. */
export declare function listLoginProfiles(init?: Pick<LoginOptions, 'configFilepath'>): Promise<LoginProfile[]>

/** Every profile of the shared config whose chain can be planned, in file order. */
export declare function listProfiles(init?: Pick<LoginOptions, 'configFilepath'>): Promise<PlannedProfile[]>

/**
 * Every `name` a login error can have (`SessionExpiredError`, `NoLoginSessionError`,
 * `AssumeRoleDeniedError`, `MfaUnavailableError`, `SourceFailedError`, `SsoSessionExpiredError`,
 * `SsoTokenMissingError`, `SsoNoAccessError`, …).
 */
export declare const loginErrorNames: readonly string[]

/** A login error as thrown by the provider. */
export interface LoginError extends Error {
  /** The bare error kind (`SessionExpired`, …). */
  code: string
  /** True when aws-login does not serve the profile: an SDK provider chain tries its next link. */
  tryNextLink: boolean
}
