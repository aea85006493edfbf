"""The one place that reads havenwatch's settings from the environment.

Every setting is a ``HAVENWATCH_*`` variable. ``get`` raises ``ConfigError`` for a
required value that is missing, and ``flag`` accepts exactly one spelling of true and
false, so nothing falls back silently to something insecure.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PREFIX = "HAVENWATCH_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def raw(name: str) -> str | None:
    return os.environ.get(PREFIX + name)


def get(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = raw(name)
    if value is None or value == "":
        if required:
            raise ConfigError(
                f"{PREFIX}{name} is not set. havenwatch refuses to start without it; "
                f"see the configuration table in README.md."
            )
        return default if default is not None else ""
    return value


def flag(name: str, default: bool = False) -> bool:
    value = raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{PREFIX}{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}.")


def listing(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def var_dir() -> Path:
    """Where the embedded profile keeps its database, keys and uploads."""
    path = Path(get("VAR_DIR", str(Path.cwd() / "var"))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def profile() -> str:
    """``demo``, ``test`` or ``production`` (the default)."""
    value = get("PROFILE", "production")
    if value not in {"demo", "test", "production"}:
        raise ConfigError(f"{PREFIX}PROFILE must be demo, test or production; got {value!r}.")
    return value


def secret_key() -> str:
    """The Django secret key.

    Production refuses to start without one. The demo generates one the first time and
    keeps it in ``var/secret_key`` with mode 0600, so sessions survive a restart; the
    test profile uses a fixed throwaway key.
    """
    value = get("SECRET_KEY")
    if value:
        if len(value) < 32:
            raise ConfigError(f"{PREFIX}SECRET_KEY must be at least 32 characters long.")
        return value
    mode = profile()
    if mode == "test":
        return "test-only-secret-key-never-used-outside-the-test-suite-0123456789"
    if mode == "demo":
        path = var_dir() / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
        return path.read_text().strip()
    return get("SECRET_KEY", required=True)
