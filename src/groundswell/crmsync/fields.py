"""Who owns which contact field, and the three-way rule that decides each sync. Pure.

Shared fields (name, email, phone) flow both ways. For each one the link keeps the value
both sides held at the last sync (the base):

- remote equals base → the CRM did not change it; a local change is pushed;
- local equals base (or already equals remote) → only the CRM changed it; it is applied;
- both differ from the base and from each other → a conflict: neither side is touched
  until an admin chooses.

CRM-owned fields (company, owner) are only ever read; Groundswell-owned ones (social
identities, sentiment, cases, interactions) are only ever written. See docs/crm-sync.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

import orjson

SHARED_FIELDS: tuple[str, ...] = ("name", "email", "phone")
CRM_OWNED_FIELDS: tuple[str, ...] = ("company", "owner")

Decision = Literal["same", "push", "take_remote", "conflict"]


def norm(value: Any) -> str | None:
    """Blank and missing are the same; surrounding spaces never count as a change."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def decide(base: Any, local: Any, remote: Any) -> Decision:
    b, lo, r = norm(base), norm(local), norm(remote)
    if lo == r:
        return "same"
    if r == b:
        return "push"
    if lo == b:
        return "take_remote"
    return "conflict"


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    decision: Decision
    base: str | None
    local: str | None
    remote: str | None


def compare(
    base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any]
) -> list[FieldChange]:
    """One decision per shared field."""
    return [
        FieldChange(
            field=f,
            decision=decide(base.get(f), local.get(f), remote.get(f)),
            base=norm(base.get(f)),
            local=norm(local.get(f)),
            remote=norm(remote.get(f)),
        )
        for f in SHARED_FIELDS
    ]


def split_name(name: str | None) -> tuple[str | None, str]:
    """``"Ana Maria Costa"`` → (``"Ana Maria"``, ``"Costa"``); a CRM needs a last name."""
    parts = (name or "").split()
    if not parts:
        return None, "(unknown)"
    if len(parts) == 1:
        return None, parts[0]
    return " ".join(parts[:-1]), parts[-1]


def join_name(first: Any, last: Any) -> str | None:
    joined = " ".join(p for p in (norm(first), norm(last)) if p and p != "(unknown)")
    return joined or None


def payload_hash(payload: dict[str, Any]) -> str:
    """Stable hash of what would be sent: an unchanged record is never pushed again."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def external_id(kind: str, local_id: int) -> str:
    """The id Groundswell gives a record in the CRM's ``groundswell_id`` field."""
    return f"gs-{kind}-{local_id}"
