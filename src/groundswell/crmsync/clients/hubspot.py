"""HubSpot CRM v3: contacts and tickets upserted by ``groundswell_id``, notes as activities.

Authentication is a private app's access token sent as a bearer token (it does not
expire; a 401 means it was revoked or rotated, so the connection needs new settings).
``groundswell_id`` is a custom property with unique values on contacts, tickets and
notes: contacts and tickets use ``batch/upsert`` with ``idProperty``, which creates once
and updates after; a note is looked up by that property before it is created, with its
contact and ticket associations in the create body. A ticket is associated with its
contact through the v4 associations API (``PUT …/associations/default/…``), which is
idempotent. 429 answers carry ``Retry-After``; short waits are taken in the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from groundswell.crmsync.clients.base import RemoteContact
from groundswell.crmsync.fields import join_name, split_name
from groundswell.crmsync.http import (
    MAX_INLINE_WAIT_S,
    CrmAuthError,
    CrmRateLimited,
    CrmRequestError,
    GuardedHttp,
    retry_after_seconds,
)

ID_PROPERTY = "groundswell_id"
NOTE_TO_CONTACT = 202
NOTE_TO_TICKET = 228
TICKET_STAGE = {"new": "1", "open": "3", "pending": "2", "resolved": "4", "closed": "4"}
TICKET_PRIORITY = {"urgent": "HIGH", "high": "HIGH", "normal": "MEDIUM", "low": "LOW"}
CONTACT_WRITES = {
    "email": "email",
    "phone": "phone",
    "handles": "groundswell_handles",
    "sentiment": "groundswell_sentiment",
}
CONTACT_PROPERTIES = [
    "firstname",
    "lastname",
    "email",
    "phone",
    "company",
    "hubspot_owner_id",
    ID_PROPERTY,
    "lastmodifieddate",
]
PAGE_SIZE = 100


def _error(response: httpx.Response) -> tuple[str, str | None]:
    """``{"status": "error", "message": …, "correlationId": …, "category": …}``."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}", None
    if isinstance(body, dict):
        return str(body.get("message", ""))[:300], body.get("category")
    return f"HTTP {response.status_code}", None


def parse_hs_datetime(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class HubSpotClient:
    system = "hubspot"

    def __init__(self, http: GuardedHttp, *, base_url: str, access_token: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._token = access_token

    def __repr__(self) -> str:
        return f"HubSpotClient({self.base_url!r}, <token hidden>)"

    def _call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        for attempt in range(2):
            response = self.http.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                headers={"Authorization": f"Bearer {self._token}"},
            )
            if response.status_code != 429:
                break
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt == 1 or wait > MAX_INLINE_WAIT_S:
                message, _ = _error(response)
                raise CrmRateLimited(f"HubSpot: {message}", wait)
            self.http.sleep(wait)
        if response.status_code >= 400:
            message, category = _error(response)
            if response.status_code == 401:
                raise CrmAuthError(f"HubSpot: {message} ({category})")
            raise CrmRequestError(
                f"HubSpot {method} {path}: {message} ({category})", response.status_code, category
            )
        return response

    def check(self) -> None:
        self._call("GET", "/crm/v3/objects/contacts?limit=1")

    def _batch_upsert(self, objects: str, gid: str, properties: dict[str, Any]) -> str:
        body = {"inputs": [{"idProperty": ID_PROPERTY, "id": gid, "properties": properties}]}
        result = self._call("POST", f"/crm/v3/objects/{objects}/batch/upsert", body).json()
        return str(result["results"][0]["id"])

    def upsert_contact(self, gid: str, values: dict[str, Any]) -> str:
        """Send the keys present in ``values`` only: an update leaves other fields alone."""
        properties: dict[str, Any] = {}
        if "name" in values:
            first, last = split_name(values["name"])
            properties["firstname"], properties["lastname"] = first or "", last
        for key, name in CONTACT_WRITES.items():
            if key in values:
                properties[name] = "" if values[key] is None else str(values[key])
        return self._batch_upsert("contacts", gid, properties)

    def upsert_case(self, gid: str, values: dict[str, Any], contact_remote_id: str) -> str:
        ticket_id = self._batch_upsert(
            "tickets",
            gid,
            {
                "subject": (values.get("subject") or "")[:255],
                "hs_pipeline": "0",
                "hs_pipeline_stage": TICKET_STAGE.get(str(values.get("status")), "1"),
                "hs_ticket_priority": TICKET_PRIORITY.get(str(values.get("priority")), "MEDIUM"),
                "source_type": "SOCIAL" if values.get("channel") != "email" else "EMAIL",
                "content": f"Opened from {values.get('channel')} at {values.get('opened_at')}",
            },
        )
        self._call(
            "PUT",
            f"/crm/v4/objects/tickets/{ticket_id}/associations/default/contacts/{contact_remote_id}",
        )
        return ticket_id

    def _find(self, objects: str, gid: str) -> str | None:
        body = {
            "filterGroups": [
                {"filters": [{"propertyName": ID_PROPERTY, "operator": "EQ", "value": gid}]}
            ],
            "properties": [ID_PROPERTY],
            "limit": 1,
        }
        results = self._call("POST", f"/crm/v3/objects/{objects}/search", body).json()
        found = results.get("results") or []
        return str(found[0]["id"]) if found else None

    def upsert_activity(
        self,
        gid: str,
        values: dict[str, Any],
        contact_remote_id: str,
        case_remote_id: str,
        existing_remote_id: str | None,
    ) -> str:
        properties = {
            "hs_timestamp": values["created_at"],
            "hs_note_body": (
                f"{values['direction'].title()} post on {values['channel']}: {values['text']}"
            )[:65000],
            ID_PROPERTY: gid,
        }
        note_id = existing_remote_id or self._find("notes", gid)
        if note_id is not None:
            self._call("PATCH", f"/crm/v3/objects/notes/{note_id}", {"properties": properties})
            return note_id
        body = {
            "properties": properties,
            "associations": [
                {
                    "to": {"id": contact_remote_id},
                    "types": [
                        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t}
                        for t in (NOTE_TO_CONTACT,)
                    ],
                },
                {
                    "to": {"id": case_remote_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": NOTE_TO_TICKET,
                        }
                    ],
                },
            ],
        }
        return str(self._call("POST", "/crm/v3/objects/notes", body).json()["id"])

    def changed_contacts(self, since: str | None) -> Iterator[RemoteContact]:
        start = parse_hs_datetime(since) if since else datetime(1970, 1, 1, tzinfo=UTC)
        after: str | None = None
        while True:
            body: dict[str, Any] = {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "lastmodifieddate",
                                "operator": "GTE",
                                "value": str(int(start.timestamp() * 1000)),
                            }
                        ]
                    }
                ],
                "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                "properties": CONTACT_PROPERTIES,
                "limit": PAGE_SIZE,
            }
            if after is not None:
                body["after"] = after
            page = self._call("POST", "/crm/v3/objects/contacts/search", body).json()
            for record in page.get("results", []):
                props = record.get("properties") or {}
                modified = props.get("lastmodifieddate") or record.get("updatedAt")
                yield RemoteContact(
                    remote_id=str(record["id"]),
                    groundswell_id=props.get(ID_PROPERTY) or None,
                    values={
                        "name": join_name(props.get("firstname"), props.get("lastname")),
                        "email": props.get("email") or None,
                        "phone": props.get("phone") or None,
                        "company": props.get("company") or None,
                        "owner": props.get("hubspot_owner_id") or None,
                    },
                    modified_at=parse_hs_datetime(str(modified)),
                )
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
