"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

PROFILE = profiles.RFC_9106_LOW_MEMORY
"""argon2-cffi's default: argon2id, 64 MiB, three passes. A stored hash carries its own
parameters, so raising them later still checks every older hash."""

_hasher = PasswordHasher.from_parameters(PROFILE)

UNKNOWN_USER_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$j+0Xdsko51ud6pWdHayJiw"
    "$mclwC6u1pAT5R0yJQF8H9UVHKjGOmT1sabvaCZ8Su1k"
)
"""A login for an unknown or inactive user is checked against this, so that it costs what
a wrong password costs. It is the hash of 32 random hex characters nobody kept, with
``PROFILE``'s parameters (a test keeps them equal), written out rather than hashed at
import, which cost 0.14 s in every process."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
