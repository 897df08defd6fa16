// Public types of aws-login-provider. The data shapes come from the declarations napi-rs
// generates for the addon (binding.d.ts).
import type { LoginCredentials, LoginOptions, LoginProfile } from './binding'

export type { LoginCredentials, LoginOptions, LoginProfile }

/** What the JS SDK passes to a credential provider when a client calls it. */
export interface CredentialProviderCallProperties {
  callerClientConfig?: { profile?: string }
  [key: string]: unknown
}

/** An `AwsCredentialIdentityProvider` of the AWS SDK for JavaScript v3. */
export type LoginCredentialProvider = (properties?: CredentialProviderCallProperties) => Promise<LoginCredentials>

/**
 * A provider of the credentials of a login session (`aws login`): reads the profile's
 * `login_session`, the token cache, refreshes with DPoP when fewer than 5 minutes remain.
 * Errors are `Error`s whose `name` is the failure kind and whose message is the CLI's.
 */
export declare function fromLogin(init?: LoginOptions): LoginCredentialProvider

/** The profiles of the shared config holding a login session, in file order. */
export declare function listLoginProfiles(init?: Pick<LoginOptions, 'configFilepath'>): Promise<LoginProfile[]>
