"""What the sync engine needs from a CRM, whichever it is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RemoteContact:
    remote_id: str
    groundswell_id: str | None
    values: dict[str, Any]
    """name, email, phone (shared) and company, owner (the CRM's own)."""
    modified_at: datetime


class CrmClient(Protocol):
    system: str

    def check(self) -> None: ...

    def upsert_contact(self, gid: str, values: dict[str, Any]) -> str: ...

    def upsert_case(self, gid: str, values: dict[str, Any], contact_remote_id: str) -> str: ...

    def upsert_activity(
        self,
        gid: str,
        values: dict[str, Any],
        contact_remote_id: str,
        case_remote_id: str,
        existing_remote_id: str | None,
    ) -> str: ...

    def changed_contacts(self, since: str | None) -> Iterator[RemoteContact]: ...
