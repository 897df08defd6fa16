"""Types of the Rust extension module (crates/login-py/src/lib.rs)."""

from typing import Any, Dict, List, Optional, Tuple

__version__: str

class LoginError(Exception):
    """Base of every aws_login error; the message is the one the aws-login CLI prints."""

    kind: str

class ConfigError(LoginError):
    """The profile is missing, is not a login profile, or the config file cannot be read."""

class ProfileNotFoundError(ConfigError):
    """The profile has no section in the config file."""

class NotLoginProfileError(ConfigError):
    """The profile exists but aws-login has nothing to serve: no `login_session`, IAM Identity
    Center settings or role (e.g. only keys or a `credential_process`)."""

class CacheError(LoginError):
    """The login token cache cannot be used."""

class CacheMissingError(CacheError):
    """No cached login session for the profile: run `aws-login login`."""

class CacheCorruptError(CacheError):
    """The cached login session is unreadable or incomplete: log in again."""

class CacheWriteError(CacheError):
    """The refreshed session could not be written to the cache (or its lock taken)."""

class SessionExpiredError(LoginError):
    """The login session ended (expired, or credentials changed): log in again."""

class CredentialsChangedError(SessionExpiredError):
    """The user's password or access keys changed after login: log in again."""

class InsufficientPermissionsError(LoginError):
    """The principal lacks `signin:CreateOAuth2Token`."""

class NetworkError(LoginError):
    """The sign-in service could not be reached (after retries)."""

class ServiceError(LoginError):
    """The sign-in service answered with an error or an unreadable response."""

class AssumeRoleDeniedError(LoginError):
    """STS refused AssumeRole: trust policy, permissions, external_id, a refused MFA code or
    duration_seconds, or STS disabled in the region."""

class MfaUnavailableError(LoginError):
    """The role needs an MFA code but there is no terminal to ask for it."""

class SourceFailedError(LoginError):
    """The base of a role chain failed: its credential_process, or no environment keys."""

class SsoSessionExpiredError(SessionExpiredError):
    """The IAM Identity Center session expired or was signed out: run `aws-login sso login`."""

class SsoTokenMissingError(CacheMissingError):
    """No IAM Identity Center token for the profile: run `aws-login sso login`."""

class SsoNoAccessError(InsufficientPermissionsError):
    """IAM Identity Center gives the user no access to the profile's account and role."""

def resolve_credentials(
    profile: Optional[str], config_file: Optional[str], credentials_file: Optional[str] = None
) -> Tuple[str, str, str, int, Optional[str], List[str]]:
    """(access key, secret key, session token, expiry as unix seconds, account id, warnings)."""

def plan_profile(
    profile: Optional[str], config_file: Optional[str], credentials_file: Optional[str] = None
) -> Tuple[str, List[str], Optional[str], bool]:
    """(base kind, role ARNs from the base outwards, account id, served by aws-login); nothing
    is fetched. Base kinds: LoginSession, Sso, StaticKeys, CredentialProcess, Environment."""

class _Vectors:
    """login-core's pure functions, for the shared fixture vectors (errors: ValueError(kind, message))."""

    def pkce_challenge(self, verifier: str) -> str: ...
    def pkce_verifier_from_random_bytes(self, data: bytes) -> Optional[str]: ...
    def authorize_request_url(
        self, base: str, client_id: str, state: str, code_challenge: str, redirect_uri: str
    ) -> str: ...
    def confirmation_url(self, base: str) -> str: ...
    def endpoint_base(self, region: str, fips: bool, dual_stack: bool) -> str: ...
    def override_token_url(self, url: str) -> str: ...
    def dpop_key_info(self, pem: str) -> Dict[str, str]: ...
    def dpop_proof(self, pem: str, htm: str, htu: str, iat: int, jti: str) -> str: ...
    def dpop_verify(self, proof: str) -> Dict[str, Any]: ...
    def cache_file_name(self, session_arn: str) -> str: ...
    def parse_cache_entry(self, data: bytes) -> Dict[str, Any]: ...
    def rewrite_cache_entry(self, data: bytes) -> str: ...
    def refresh_decision(self, data: bytes, now: str) -> str: ...
    def apply_refresh(self, data: bytes, response_body: str, now: str) -> str: ...
    def is_login_entry(self, data: bytes) -> bool: ...
    def render_export(
        self,
        format: str,
        access_key_id: str,
        secret_access_key: str,
        session_token: str,
        expiration: str,
        account_id: Optional[str] = None,
    ) -> str: ...
    def parse_token_reply(
        self, status: int, headers: List[Tuple[str, str]], body: str
    ) -> Dict[str, Any]: ...
    def callback_code(self, query: str, expected_state: str) -> str: ...
    def remote_code(self, pasted: str, expected_state: str) -> str: ...
    def login_session_of_id_token(self, id_token: str) -> Dict[str, str]: ...
    def token_request(
        self,
        grant: str,
        client_id: str,
        token_url: str,
        key_pem: str,
        iat: int,
        jti: str,
        code: Optional[str] = None,
        code_verifier: Optional[str] = None,
        redirect_uri: Optional[str] = None,
        refresh_token: Optional[str] = None,
    ) -> Dict[str, Any]: ...
    def config_value(
        self, text: str, kind: str, name: str, key: str, sub_key: Optional[str] = None
    ) -> Optional[str]: ...
    def config_profile_names(self, text: str) -> List[str]: ...
    def config_credential_style(self, text: str, profile: str) -> Optional[str]: ...
    def config_signin_endpoint_url(self, text: str, profile: str) -> Optional[str]: ...
    def config_set(self, text: str, kind: str, name: str, key: str, value: str) -> str: ...
    def chain_plan(self, config: str, credentials: str, profile: str) -> Dict[str, Any]: ...

vectors: _Vectors
