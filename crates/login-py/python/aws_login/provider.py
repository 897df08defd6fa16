"""The botocore integration: one credential provider that resolves, through aws_login (Rust),
every profile whose chain starts from a login session or IAM Identity Center, with or without
roles on top.

botocore >= 1.41 ships its own ``LoginProvider``; older versions cannot read login sessions at
all. :func:`install` puts ours in the chain right before botocore's ``assume-role`` provider (and
takes the place of botocore's login provider when awscrt is missing, which that one needs), so
role and SSO profiles over such bases resolve under aws-login's cross-process locks and
AWS-CLI-compatible caches instead of racing them through botocore's AssumeRole and SSO providers.
Whether a profile is ours is decided by the Rust chain planner (``_native.plan_profile``); every
other profile (keys, ``credential_process``, ``credential_source = Environment`` bases, kinds
aws-login does not support) is left to botocore's providers, which come after.

Every credential comes from :func:`aws_login.get_credentials`; this module only adapts it to
botocore's provider and error types.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Dict, List, Optional

import botocore.credentials
import botocore.exceptions

from . import _native
from ._credentials import Credentials, get_credentials

logger = logging.getLogger("aws_login")

METHOD = "login"
# Ours goes before botocore's role provider: role chains over a login or SSO base are ours.
_PROVIDER_BEFORE_ROLES = "assume-role"
# Without one (a customised chain): where botocore >= 1.41 has its login provider.
_PROVIDER_AFTER_LOGIN = "custom-process"
# The planned base, as botocore names the provider that would have served the profile.
_METHOD_OF_BASE = {"LoginSession": "login", "Sso": "sso"}
# botocore's RefreshableCredentials would call us on every request with its default 15-minute
# advisory window (login credentials live 15 minutes). Align with the refresh rule instead:
# login-io refreshes when fewer than 5 minutes remain, so ask from then on.
_ADVISORY_REFRESH_SECONDS = 5 * 60
_MANDATORY_REFRESH_SECONDS = 2 * 60
_INSTALLED_MARK = "_aws_login_installed"


def botocore_has_login_provider() -> bool:
    """True on botocore >= 1.41 with awscrt (``botocore[crt]``), which resolves login sessions
    itself. Without awscrt its provider only raises MissingDependencyException, so ours is used."""
    return (
        hasattr(botocore.credentials, "LoginProvider")
        and getattr(botocore.credentials, "EC", None) is not None
    )


def _botocore_error_types() -> Dict[type, Any]:
    """Errors raised inside botocore: each is a botocore credential error (so existing
    ``except botocore.exceptions.…`` clauses work) and the matching ``aws_login`` error."""
    retrieval = botocore.exceptions.CredentialRetrievalError
    invalid_config = botocore.exceptions.InvalidConfigError
    # What botocore's own SSO provider raises when `aws sso login` is needed (botocore >= 1.19).
    sso_login_needed = getattr(botocore.exceptions, "UnauthorizedSSOTokenError", retrieval)
    mapping: Dict[type, Any] = {}
    for sso_native in (_native.SsoSessionExpiredError, _native.SsoTokenMissingError):
        mapping[sso_native] = type(
            sso_native.__name__,
            (sso_login_needed, sso_native),
            # botocore's text says `aws sso login`; ours names the aws-login command.
            {"__module__": __name__, "fmt": "{error_msg}"},
        )
    for native in (
        _native.SsoNoAccessError,
        _native.AssumeRoleDeniedError,
        _native.MfaUnavailableError,
        _native.SourceFailedError,
        _native.CredentialsChangedError,
        _native.SessionExpiredError,
        _native.InsufficientPermissionsError,
        _native.CacheMissingError,
        _native.CacheCorruptError,
        _native.CacheWriteError,
        _native.CacheError,
        _native.NetworkError,
        _native.ServiceError,
        _native.LoginError,
    ):
        mapping[native] = type(native.__name__, (retrieval, native), {"__module__": __name__})
    for native in (_native.ProfileNotFoundError, _native.NotLoginProfileError, _native.ConfigError):
        mapping[native] = type(native.__name__, (invalid_config, native), {"__module__": __name__})
    return mapping


_BOTOCORE_ERRORS = _botocore_error_types()


def _as_botocore_error(error: BaseException, method: str = METHOD) -> BaseException:
    for native in type(error).__mro__:
        botocore_type = _BOTOCORE_ERRORS.get(native)
        if botocore_type is None:
            continue
        converted: BaseException
        if issubclass(botocore_type, botocore.exceptions.CredentialRetrievalError):
            converted = botocore_type(provider=method, error_msg=str(error))
        else:
            converted = botocore_type(error_msg=str(error))
        setattr(converted, "kind", getattr(error, "kind", None))
        return converted
    return error


class LoginProvider(botocore.credentials.CredentialProvider):  # type: ignore[misc]
    """Resolves, through aws_login (Rust), a profile whose planned chain starts from a login
    session or IAM Identity Center (roles on top or not).

    Returns None for every other profile, so the chain moves on to botocore's own providers.
    """

    METHOD = METHOD

    def __init__(
        self,
        profile_name: str,
        config_file: Optional[str] = None,
        credentials_file: Optional[str] = None,
    ) -> None:
        super().__init__()
        self._profile_name = profile_name
        self._config_file = config_file
        self._credentials_file = credentials_file

    def load(self) -> Optional[botocore.credentials.Credentials]:
        method = self._served_method()
        if method is None:
            return None
        logger.debug("aws_login: resolving profile %r (%s)", self._profile_name, method)
        credentials = self._fetch(method)
        kwargs: Dict[str, Any] = {
            "access_key": credentials.access_key,
            "secret_key": credentials.secret_key,
            "token": credentials.token,
            "expiry_time": credentials.expiry_time,
            "refresh_using": lambda: self._fetch(method).to_botocore_metadata(),
            "method": method,
            "advisory_timeout": _ADVISORY_REFRESH_SECONDS,
            "mandatory_timeout": _MANDATORY_REFRESH_SECONDS,
        }
        try:
            return botocore.credentials.RefreshableCredentials(
                account_id=credentials.account_id, **kwargs
            )
        except TypeError:
            # botocore before account ids (< 1.37) has no such parameter.
            return botocore.credentials.RefreshableCredentials(**kwargs)

    def _served_method(self) -> Optional[str]:
        """botocore's name for the provider the profile would have had (``login``, ``sso``,
        ``assume-role``), or None when the profile is not ours to serve."""
        try:
            base, role_arns, _account, served = _native.plan_profile(
                self._profile_name, self._config_file, self._credentials_file
            )
        except _native.LoginError as error:
            # Missing profiles and chains the planner rejects: botocore reports them its way.
            logger.debug("aws_login: leaving profile %r to botocore: %s", self._profile_name, error)
            return None
        if not served:
            logger.debug(
                "aws_login: profile %r starts from %s; leaving it to botocore", self._profile_name, base
            )
            return None
        return "assume-role" if role_arns else _METHOD_OF_BASE.get(base, METHOD)

    def _fetch(self, method: str) -> Credentials:
        try:
            return get_credentials(
                self._profile_name,
                config_file=self._config_file,
                credentials_file=self._credentials_file,
            )
        except _native.LoginError as error:
            raise _as_botocore_error(error, method) from error


def _botocore_session(session: Any) -> Any:
    """The botocore session behind ``session`` (a boto3.Session wraps one)."""
    return getattr(session, "_session", session)


def _config_file_of(session: Any) -> Optional[str]:
    """The config file botocore reads for ``session``, expanded as botocore expands it (its
    default is the literal ``~/.aws/config``)."""
    return _expanded_path(session, "config_file")


def _expanded_path(session: Any, variable: str) -> Optional[str]:
    path = session.get_config_variable(variable)
    if not path:
        return None
    return os.path.expanduser(os.path.expandvars(str(path)))


def _login_provider_for(session: Any, profile_name: str) -> LoginProvider:
    return LoginProvider(
        profile_name=profile_name,
        config_file=_config_file_of(session),
        credentials_file=_expanded_path(session, "credentials_file"),
    )


def _place(chain: List[Any], provider: LoginProvider) -> None:
    """Puts ``provider`` right before botocore's ``assume-role`` provider (after ``env``, which
    still wins as it does in botocore), and drops botocore's own login provider when the chain
    has one that cannot sign (botocore >= 1.41 without awscrt): every profile it could serve is
    served by ours first. A customised chain without ``assume-role`` gets it where botocore
    >= 1.41 has its login provider, or last."""
    if any(isinstance(p, LoginProvider) for p in chain):
        return
    chain[:] = [p for p in chain if getattr(p, "METHOD", None) != METHOD]
    methods = [getattr(p, "METHOD", None) for p in chain]
    for anchor in (_PROVIDER_BEFORE_ROLES, _PROVIDER_AFTER_LOGIN):
        if anchor in methods:
            chain.insert(methods.index(anchor), provider)
            return
    chain.append(provider)


def _add_to_resolver(session: Any, resolver: Any) -> Any:
    """Puts a LoginProvider into ``resolver`` (the session's chain) and into the chains its
    AssumeRole provider builds for ``source_profile``."""
    if resolver is None or any(isinstance(p, LoginProvider) for p in resolver.providers):
        return resolver
    profile_name = session.get_config_variable("profile") or "default"
    _place(resolver.providers, _login_provider_for(session, profile_name))
    try:
        assume_role = resolver.get_provider("assume-role")
    except botocore.exceptions.UnknownCredentialError:
        assume_role = None
    builder = getattr(assume_role, "_profile_provider_builder", None)
    if builder is not None and not getattr(builder, _INSTALLED_MARK, False):
        original_providers = builder.providers

        def providers(profile_name: str, disable_env_vars: bool = False) -> List[Any]:
            chain = list(original_providers(profile_name=profile_name, disable_env_vars=disable_env_vars))
            _place(chain, _login_provider_for(session, profile_name))
            return chain

        builder.providers = providers
        setattr(builder, _INSTALLED_MARK, True)
    elif builder is None:
        logger.debug("aws_login: this botocore has no profile provider builder; role chains "
                     "with a login source_profile are not resolved")
    return resolver


def install(session: Any = None) -> bool:
    """``session=None``: every botocore session whose credential chain is built from now on (see
    :func:`install_everywhere`). A session: only that one (a boto3 or botocore session)."""
    if session is None:
        return install_everywhere()
    if botocore_has_login_provider():
        logger.debug(
            "aws_login.install: botocore %s resolves login sessions itself; nothing to do",
            botocore.__version__,
        )
        return False
    _log_replacing_unusable_provider()
    return _install_on(_botocore_session(session))


def _log_replacing_unusable_provider() -> None:
    if hasattr(botocore.credentials, "LoginProvider"):
        logger.debug(
            "aws_login.install: botocore %s has a login provider but not awscrt; "
            "replacing it with aws_login's",
            botocore.__version__,
        )


def _install_on(botocore_session: Any) -> bool:
    if getattr(botocore_session, _INSTALLED_MARK, False):
        logger.debug("aws_login.install: this session already has the login provider")
        return False
    components = getattr(botocore_session, "_components", None)
    deferred = getattr(components, "_deferred", {})
    factory = deferred.get("credential_provider") if isinstance(deferred, dict) else None
    if components is not None and factory is not None:
        # Keep botocore's laziness: the chain is built when first needed, with the region of the
        # first client, exactly as without aws_login.
        components.lazy_register_component(
            "credential_provider", lambda: _add_to_resolver(botocore_session, factory())
        )
    else:
        _add_to_resolver(botocore_session, botocore_session.get_component("credential_provider"))
    setattr(botocore_session, _INSTALLED_MARK, True)
    logger.debug("aws_login.install: login provider added")
    return True


def install_everywhere() -> bool:
    """Every botocore session (so every boto3 session and client) whose credential chain is built
    after this call gets the login provider, as botocore >= 1.41 has it built in.

    botocore builds a session's chain lazily, on its first ``get_credentials()`` or client, with
    ``botocore.credentials.create_credential_resolver``; that function is wrapped here so the
    chain it returns has our provider. Sessions whose chain already exists keep it (boto3's
    default session, when it exists, is also given the provider). Idempotent: True only on the
    call that wrapped it. Nothing is done on botocore >= 1.41 with awscrt.
    """
    if botocore_has_login_provider():
        logger.debug(
            "aws_login.install: botocore %s resolves login sessions itself; nothing to do",
            botocore.__version__,
        )
        return False
    create = botocore.credentials.create_credential_resolver
    if getattr(create, _INSTALLED_MARK, False):
        logger.debug("aws_login.install: already installed for every session")
        return False
    _log_replacing_unusable_provider()

    def create_credential_resolver(session: Any, *args: Any, **kwargs: Any) -> Any:
        return _add_to_resolver(session, create(session, *args, **kwargs))

    setattr(create_credential_resolver, _INSTALLED_MARK, True)
    setattr(create_credential_resolver, "__wrapped__", create)
    create_credential_resolver.__doc__ = create.__doc__
    botocore.credentials.create_credential_resolver = create_credential_resolver
    # boto3's default session, if boto3 is loaded and has one already (never imports boto3).
    boto3 = sys.modules.get("boto3")
    default_session = getattr(boto3, "DEFAULT_SESSION", None)
    if default_session is not None:
        _install_on(_botocore_session(default_session))
    logger.debug("aws_login.install: login provider added for every botocore session")
    return True


def boto3_session(
    profile_name: Optional[str] = None, region_name: Optional[str] = None, **kwargs: Any
) -> Any:
    import boto3

    session = boto3.Session(profile_name=profile_name, region_name=region_name, **kwargs)
    install(session)
    return session
