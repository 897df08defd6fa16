"""The botocore integration: a ``login`` credential provider for botocore < 1.41.

botocore >= 1.41 ships its own ``LoginProvider`` and places it in the profile providers after the
shared credentials file and before ``credential_process``. This module puts ours at the same place
in older versions (and in place of botocore's when awscrt is missing, which that one needs), and
teaches their AssumeRole provider to use it for a ``source_profile``, so ``role_arn`` +
``source_profile = <login profile>`` chains resolve as they do on botocore >= 1.41.

Every credential comes from :func:`aws_login.get_credentials` (Rust, login-io); this module only
adapts it to botocore's provider and error types.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Callable, Dict, List, Optional

import botocore.credentials
import botocore.exceptions

from . import _native
from ._credentials import Credentials, get_credentials

logger = logging.getLogger("aws_login")

METHOD = "login"
# botocore >= 1.41 places its LoginProvider right before this one.
_PROVIDER_AFTER_LOGIN = "custom-process"
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
    mapping: Dict[type, Any] = {}
    for native in (
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


def _as_botocore_error(error: BaseException) -> BaseException:
    for native in type(error).__mro__:
        botocore_type = _BOTOCORE_ERRORS.get(native)
        if botocore_type is None:
            continue
        converted: BaseException
        if issubclass(botocore_type, botocore.exceptions.InvalidConfigError):
            converted = botocore_type(error_msg=str(error))
        else:
            converted = botocore_type(provider=METHOD, error_msg=str(error))
        setattr(converted, "kind", getattr(error, "kind", None))
        return converted
    return error


class LoginProvider(botocore.credentials.CredentialProvider):  # type: ignore[misc]
    """Resolves a profile with ``login_session`` through aws_login (Rust).

    Returns None for other profiles, so the chain moves on as it does on botocore >= 1.41.
    """

    METHOD = METHOD

    def __init__(
        self,
        load_config: Callable[[], Dict[str, Any]],
        profile_name: str,
        config_file: Optional[str] = None,
    ) -> None:
        super().__init__()
        self._load_config = load_config
        self._profile_name = profile_name
        self._config_file = config_file

    def load(self) -> Optional[botocore.credentials.Credentials]:
        profiles = self._load_config().get("profiles", {})
        if "login_session" not in profiles.get(self._profile_name, {}):
            return None
        logger.debug("aws_login: resolving login profile %r", self._profile_name)
        credentials = self._fetch()
        kwargs: Dict[str, Any] = {
            "access_key": credentials.access_key,
            "secret_key": credentials.secret_key,
            "token": credentials.token,
            "expiry_time": credentials.expiry_time,
            "refresh_using": self._refresh,
            "method": METHOD,
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

    def _fetch(self) -> Credentials:
        try:
            return get_credentials(self._profile_name, config_file=self._config_file)
        except _native.LoginError as error:
            raise _as_botocore_error(error) from error

    def _refresh(self) -> Dict[str, Optional[str]]:
        return self._fetch().to_botocore_metadata()


def _botocore_session(session: Any) -> Any:
    """The botocore session behind ``session`` (a boto3.Session wraps one)."""
    return getattr(session, "_session", session)


def _config_file_of(session: Any) -> Optional[str]:
    """The config file botocore reads for ``session``, expanded as botocore expands it (its
    default is the literal ``~/.aws/config``)."""
    path = session.get_config_variable("config_file")
    if not path:
        return None
    return os.path.expanduser(os.path.expandvars(str(path)))


def _login_provider_for(session: Any, profile_name: str) -> LoginProvider:
    return LoginProvider(
        load_config=lambda: session.full_config,
        profile_name=profile_name,
        config_file=_config_file_of(session),
    )


def _place(chain: List[Any], provider: LoginProvider) -> None:
    """Puts ``provider`` where botocore >= 1.41 has its login provider: in its place when the
    chain has one (botocore without awscrt), else right before ``credential_process``."""
    methods = [getattr(p, "METHOD", None) for p in chain]
    if METHOD in methods:
        index = methods.index(METHOD)
        if not isinstance(chain[index], LoginProvider):
            chain[index] = provider
    elif _PROVIDER_AFTER_LOGIN in methods:
        chain.insert(methods.index(_PROVIDER_AFTER_LOGIN), provider)
    else:
        # A customised chain without credential_process: keep its order, go last.
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
