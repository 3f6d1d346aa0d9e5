"""The visitor's conversation token: random, shown once, stored only as a hash.

A token is 32 random bytes (URL-safe base64): unguessable, so holding it is the proof of
being that visitor. The database keeps its SHA-256, so a leaked table names no live
conversation. The conversation's ``ref`` (the thread root) is public and separate.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_ref() -> str:
    return "chat-" + secrets.token_hex(12)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def bearer_token(header: str | None) -> str | None:
    """The token from an ``Authorization: Bearer …`` header, if well formed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not TOKEN_SHAPE.fullmatch(value):
        return None
    return value


def new_public_key() -> str:
    return secrets.token_urlsafe(18)
