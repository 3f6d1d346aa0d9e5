"""Connector credentials encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

Shared by channel accounts and CRM sync connections, so both rotate with one key.

The key comes from ``credentials_key`` or, when unset, is derived from ``secret_key`` with
HKDF-SHA256 under a fixed purpose label, so a fresh install works and its credentials
are still bound to its own secret. ``MultiFernet`` reads tokens written under any old
key listed in ``credentials_old_keys`` and always writes with the current one. See
docs/adr/0009-channel-credentials-and-leases.md.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from groundswell.settings import Settings

PURPOSE = b"groundswell channel credentials v1"


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


def derive_key(secret: str) -> bytes:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _fernet(settings: Settings) -> MultiFernet:
    if settings.credentials_key is not None:
        keys = [settings.credentials_key.get_secret_value().encode()]
    else:
        keys = [derive_key(settings.secret_key.get_secret_value())]
    if settings.credentials_old_keys is not None:
        old = settings.credentials_old_keys.get_secret_value()
        keys += [k.strip().encode() for k in old.split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(settings: Settings, secrets: dict[str, Any]) -> str:
    return _fernet(settings).encrypt(orjson.dumps(secrets)).decode()


def decrypt(settings: Settings, token: str | None) -> dict[str, Any]:
    if not token:
        return {}
    try:
        value = orjson.loads(_fernet(settings).decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "stored credentials cannot be decrypted: was the key changed?"
        ) from exc
    return value if isinstance(value, dict) else {}
