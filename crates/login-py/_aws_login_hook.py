"""Start-up hook of aws-login-provider (run by ``aws_login_provider.pth``, which pip puts in
site-packages with the wheel).

At interpreter start it only puts one small finder first in ``sys.meta_path``: no module is
imported (``sys`` is already loaded). When a program later imports ``botocore.credentials``, the
finder lets the normal import run, then calls :func:`aws_login.install`, which makes every
botocore/boto3 session created from then on resolve login, SSO and role profiles (on botocore
< 1.41, and on >= 1.41 without awscrt; botocore[crt] >= 1.41 resolves them itself and is left
alone). The finder then removes itself.

``AWS_LOGIN_PROVIDER_DISABLE=1`` turns it off (checked in the ``.pth`` line, before this module
is imported, and again when botocore is imported). Any failure in here is logged as a warning on the ``aws_login`` logger and the
program goes on without login profiles: this hook never breaks the interpreter or botocore.
"""

import sys

# Type names for the checker only: importing `typing` or `importlib.machinery` at start-up would
# cost more than this whole module (mypy reads any `TYPE_CHECKING` name as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Sequence

_TRIGGER = "botocore.credentials"


def disabled() -> bool:
    """``AWS_LOGIN_PROVIDER_DISABLE`` set to anything but empty, ``0``, ``false`` or ``no``
    (the ``.pth`` line checks the same before importing this module)."""
    import os  # already loaded by site

    value = os.environ.get("AWS_LOGIN_PROVIDER_DISABLE", "").strip().lower()
    return value not in ("", "0", "false", "no")


def _install(module_name: str) -> None:
    """aws_login.install() for every session created from now on; failures become a warning."""
    try:
        import aws_login

        aws_login.install()
    except Exception as error:  # never let the hook break the program that imported botocore
        import logging

        logging.getLogger("aws_login").warning(
            "aws-login-provider: the start-up hook could not add login profiles to botocore "
            "(after importing %s): %s: %s; set AWS_LOGIN_PROVIDER_DISABLE=1 to turn the hook off",
            module_name,
            type(error).__name__,
            error,
        )


class _BotocoreFinder:
    """Finds nothing itself: on the import of ``botocore.credentials`` it asks the finders after
    it for the real spec and arranges for :func:`_install` to run once that module is loaded."""

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        if fullname != _TRIGGER:
            return None
        _disarm()
        if disabled():  # set by the program itself after start-up
            return None
        try:
            spec: "ModuleSpec | None" = None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
            loader = getattr(spec, "loader", None)
            exec_module = getattr(loader, "exec_module", None)
            if spec is None or exec_module is None:
                return spec

            def exec_then_install(module: "ModuleType") -> None:
                try:
                    exec_module(module)
                finally:
                    try:
                        delattr(loader, "exec_module")
                    except AttributeError:
                        pass
                # The import system binds the submodule to its package right after this returns;
                # aws_login reads `botocore.credentials`, so bind it now (same object).
                parent, _, child = fullname.rpartition(".")
                package = sys.modules.get(parent)
                if package is not None:
                    setattr(package, child, module)
                _install(fullname)

            # An attribute of this one loader instance (each module gets its own): other modules
            # and later imports are untouched.
            setattr(loader, "exec_module", exec_then_install)
            return spec
        except Exception as error:
            import logging

            logging.getLogger("aws_login").warning(
                "aws-login-provider: the start-up hook failed while botocore was imported: %s: %s",
                type(error).__name__,
                error,
            )
            return None


_FINDER = _BotocoreFinder()


def _disarm() -> None:
    try:
        sys.meta_path.remove(_FINDER)
    except ValueError:
        pass


def arm() -> None:
    """Called from the ``.pth`` line at start-up."""
    try:
        if _TRIGGER in sys.modules:
            # Something imported botocore before site-packages were processed.
            _install(_TRIGGER)
        elif _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)
    except Exception:  # pragma: no cover - sys.meta_path is always a list
        pass
