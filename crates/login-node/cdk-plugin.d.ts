// AWS CDK CLI credential plugin contract (version '1').
import type { LoginCredentialProvider } from './index'

export interface CredentialProviderSource {
  name: string
  isAvailable(): Promise<boolean>
  canProvideCredentials(accountId: string): Promise<boolean>
  getProvider(accountId: string, mode: number, options?: { supportsV3Providers?: boolean }): Promise<LoginCredentialProvider | object>
}

export declare const version: '1'
export declare function init(host: { registerCredentialProviderSource(source: CredentialProviderSource): void }): void
export declare const credentialProviderSource: CredentialProviderSource
