"""The one place that decides which secret keys sign sessions and webhooks.

A key everybody can read in the source signs nothing: with it anyone can mint an admin
session cookie or a webhook that receivers trust. So:

- in production a default or short ``GROUNDSWELL_SECRET_KEY`` / ``GROUNDSWELL_WEBHOOK_SECRET``
  stops the process at start with a message saying what to set;
- in development (and tests) an unset key is replaced by a random one generated once per
  install and kept in a file readable only by its owner (mode 600), next to the SQLite
  database unless ``GROUNDSWELL_SECRETS_FILE`` says where, so sessions survive restarts
  and every process of one install (server, workers) signs with the same keys.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from groundswell.settings import DEV_SECRET, Settings

MIN_SECRET_LENGTH = 32
SECRETS_FILE_NAME = "groundswell-secrets.json"


class InsecureConfigurationError(RuntimeError):
    """A production setting that would let outsiders forge what the key signs."""


@dataclass(frozen=True)
class InstanceKeys:
    session_key: str
    webhook_key: bytes

    def __repr__(self) -> str:
        return "InstanceKeys(<hidden>)"


def secrets_file_path(settings: Settings) -> Path:
    """Where a development install keeps its generated keys."""
    if settings.secrets_file is not None:
        return Path(settings.secrets_file)
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            return Path(database).resolve().parent / SECRETS_FILE_NAME
    return Path.cwd() / SECRETS_FILE_NAME


def _configured(value: str) -> str | None:
    return None if value in ("", DEV_SECRET) else value


def _check_production(name: str, value: str | None) -> str:
    if value is None:
        raise InsecureConfigurationError(
            f"GROUNDSWELL_{name} is not set: in production it must be a random secret of at "
            f"least {MIN_SECRET_LENGTH} characters (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`); refusing to start "
            "with the public default"
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise InsecureConfigurationError(
            f"GROUNDSWELL_{name} is {len(value)} characters long: in production it must be at "
            f"least {MIN_SECRET_LENGTH}; refusing to start"
        )
    return value


def resolve_keys(settings: Settings) -> InstanceKeys:
    """The session and webhook keys for these settings, or an error in production."""
    session_key = _configured(settings.secret_key.get_secret_value())
    webhook_key = _configured(settings.webhook_secret.get_secret_value())
    if settings.environment == "production":
        return InstanceKeys(
            session_key=_check_production("SECRET_KEY", session_key),
            webhook_key=_check_production("WEBHOOK_SECRET", webhook_key).encode(),
        )
    if session_key is None or webhook_key is None:
        if settings.environment == "test" and settings.secrets_file is None:
            stored = _PROCESS_KEYS  # tests write no key files into the working directory
        else:
            stored = load_or_create_secrets(secrets_file_path(settings))
        session_key = session_key or stored["secret_key"]
        webhook_key = webhook_key or stored["webhook_secret"]
    return InstanceKeys(session_key=session_key, webhook_key=webhook_key.encode())


def _new_secrets() -> dict[str, str]:
    return {
        "secret_key": secrets.token_urlsafe(48),
        "webhook_secret": secrets.token_urlsafe(48),
    }


_PROCESS_KEYS = _new_secrets()


def _read(path: Path) -> dict[str, str] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    keys = {k: doc.get(k) for k in ("secret_key", "webhook_secret")}
    if not all(isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH for v in keys.values()):
        return None
    return {k: str(v) for k, v in keys.items()}


def load_or_create_secrets(path: Path) -> dict[str, str]:
    """Read the install's generated keys, creating the file (mode 600) on first use.

    Two processes starting together both end up with the first file written: the new
    file is linked into place, which fails if another process got there first.
    """
    if path.exists():
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        found = _read(path)
        if found is not None:
            return found
        raise InsecureConfigurationError(
            f"{path} exists but holds no usable keys; delete it to generate new ones "
            "(every session is then logged out)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_new_secrets(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    found = _read(path)
    if found is None:
        raise InsecureConfigurationError(f"could not write usable keys to {path}")
    return found
