"""Channel credentials encrypted at rest: the mechanism lives in ``core.credentials``.

Kept as a name so channel code and tests keep reading ``runtime.secrets``; CRM sync
connections use the same keys and the same Fernet tokens.
"""

from __future__ import annotations

from groundswell.core.credentials import (
    PURPOSE,
    CredentialsUnreadable,
    decrypt,
    derive_key,
    encrypt,
)

__all__ = ["PURPOSE", "CredentialsUnreadable", "decrypt", "derive_key", "encrypt"]
