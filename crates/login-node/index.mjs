// ESM entry of aws-login-provider; the implementation is the CommonJS module beside it.
import provider from './index.js'

export const { fromLogin, listLoginProfiles, listProfiles, loginErrorNames } = provider
export default provider
