"""Salesforce REST API (v59.0): upsert by external id, SOQL pull, OAuth client credentials.

Authentication is the OAuth 2.0 client credentials flow (a connected app's consumer key
and secret posted to ``/services/oauth2/token`` on the org's My Domain URL), the flow
Salesforce documents for server-to-server integrations with no user present. It has no
refresh token: when a call answers 401 ``INVALID_SESSION_ID`` a new access token is
requested once and the call repeated.

Every record carries the external id field ``Groundswell_Id__c`` (Contact, Case and
Task); ``PATCH /sobjects/<Object>/Groundswell_Id__c/<id>`` creates it the first time and
updates it afterwards, so a push repeated after a crash never creates a second record.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from groundswell.crmsync.clients.base import RemoteContact
from groundswell.crmsync.fields import join_name, split_name
from groundswell.crmsync.http import (
    CrmAuthError,
    CrmRateLimited,
    CrmRequestError,
    GuardedHttp,
)

API = "/services/data/v59.0"
EXTERNAL_ID = "Groundswell_Id__c"
RATE_LIMIT_BACKOFF_S = 300.0
"""``REQUEST_LIMIT_EXCEEDED`` is a rolling 24-hour allowance: wait minutes, not seconds."""

CASE_STATUS = {
    "new": "New",
    "open": "Working",
    "pending": "On Hold",
    "resolved": "Closed",
    "closed": "Closed",
}
CASE_PRIORITY = {"urgent": "High", "high": "High", "normal": "Medium", "low": "Low"}
CONTACT_WRITES = {
    "email": "Email",
    "phone": "Phone",
    "handles": "Groundswell_Handles__c",
    "sentiment": "Groundswell_Sentiment__c",
}
CONTACT_FIELDS = (
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Phone",
    "OwnerId",
    "Account.Name",
    EXTERNAL_ID,
    "LastModifiedDate",
)


def _errors(response: httpx.Response) -> tuple[str, str | None]:
    """Salesforce answers errors as ``[{"message": …, "errorCode": …}]``."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}", None
    if isinstance(body, list) and body and isinstance(body[0], dict):
        first = body[0]
        return str(first.get("message", ""))[:300], str(first.get("errorCode") or "") or None
    if isinstance(body, dict) and "error" in body:  # the OAuth endpoint's shape
        return str(body.get("error_description") or body["error"])[:300], str(body["error"])
    return f"HTTP {response.status_code}", None


def soql_datetime(cursor: str | None) -> str:
    """A SOQL dateTime literal (``2026-11-26T20:15:00Z``), truncated to the second.

    The comparison is ``>=``: records modified within the cursor's second are read again,
    which the three-way comparison makes harmless, rather than missed.
    """
    if not cursor:
        return "1970-01-01T00:00:00Z"
    parsed = parse_sf_datetime(cursor)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_sf_datetime(value: str) -> datetime:
    """``2026-11-26T20:15:00.000+0000`` (the API's format) or ISO 8601 with ``Z``."""
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SalesforceClient:
    system = "salesforce"

    def __init__(
        self, http: GuardedHttp, *, base_url: str, client_id: str, client_secret: str
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._token: str | None = None

    def __repr__(self) -> str:
        return f"SalesforceClient({self.base_url!r}, <credentials hidden>)"

    # -- auth -------------------------------------------------------------------------------
    def _fetch_token(self) -> str:
        response = self.http.request(
            "POST",
            f"{self.base_url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        if response.status_code != 200:
            message, _ = _errors(response)
            raise CrmAuthError(f"Salesforce refused the client credentials: {message}")
        token = response.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise CrmAuthError("Salesforce token response has no access_token")
        self._token = token
        return token

    def _call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        for attempt in range(2):
            token = self._token or self._fetch_token()
            response = self.http.request(
                method, url, json=body, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code == 401 and attempt == 0:
                self._token = None  # INVALID_SESSION_ID: the session expired; get a new one
                continue
            break
        if response.status_code >= 400:
            message, code = _errors(response)
            if response.status_code == 401:
                raise CrmAuthError(f"Salesforce: {message} ({code})")
            if code == "REQUEST_LIMIT_EXCEEDED":
                raise CrmRateLimited(f"Salesforce: {message} ({code})", RATE_LIMIT_BACKOFF_S)
            raise CrmRequestError(
                f"Salesforce {method} {path.split('?')[0]}: {message} ({code})",
                response.status_code,
                code,
            )
        return response

    def check(self) -> None:
        """Fetch a token: proves the URL and the credentials without writing anything."""
        self._fetch_token()

    # -- push -------------------------------------------------------------------------------
    def _upsert(self, sobject: str, gid: str, fields: dict[str, Any]) -> str:
        path = f"{API}/sobjects/{sobject}/{EXTERNAL_ID}/{quote(gid, safe='')}"
        response = self._call("PATCH", path, fields)
        if response.status_code == 204 or not response.content:
            # Before API 46 an update answered 204 without a body: read the id back.
            found = self._call("GET", f"{path}?fields=Id").json()
            return str(found["Id"])
        return str(response.json()["id"])

    def upsert_contact(self, gid: str, values: dict[str, Any]) -> str:
        """Send the keys present in ``values`` only: an update leaves other fields alone."""
        fields: dict[str, Any] = {}
        if "name" in values:
            fields["FirstName"], fields["LastName"] = split_name(values["name"])
        for key, name in CONTACT_WRITES.items():
            if key in values:
                fields[name] = values[key] or None
        return self._upsert("Contact", gid, fields)

    def upsert_case(self, gid: str, values: dict[str, Any], contact_remote_id: str) -> str:
        return self._upsert(
            "Case",
            gid,
            {
                "Subject": (values.get("subject") or "")[:255],
                "Status": CASE_STATUS.get(str(values.get("status")), "New"),
                "Priority": CASE_PRIORITY.get(str(values.get("priority")), "Medium"),
                "Origin": values.get("channel"),
                "ContactId": contact_remote_id,
                "Groundswell_Sentiment__c": values.get("sentiment"),
            },
        )

    def upsert_activity(
        self,
        gid: str,
        values: dict[str, Any],
        contact_remote_id: str,
        case_remote_id: str,
        existing_remote_id: str | None,
    ) -> str:
        text = str(values.get("text") or "")
        return self._upsert(
            "Task",
            gid,
            {
                "Subject": f"{values['direction'].title()} post on {values['channel']}"[:255],
                "Description": text[:32000],
                "ActivityDate": str(values["created_at"])[:10],
                "Status": "Completed",
                "Priority": "Normal",
                "WhoId": contact_remote_id,
                "WhatId": case_remote_id,
            },
        )

    # -- pull -------------------------------------------------------------------------------
    def changed_contacts(self, since: str | None) -> Iterator[RemoteContact]:
        soql = (
            f"SELECT {', '.join(CONTACT_FIELDS)} FROM Contact "
            f"WHERE LastModifiedDate >= {soql_datetime(since)} "
            "ORDER BY LastModifiedDate ASC"
        )
        page = self._call("GET", f"{API}/query?q={quote(soql, safe='')}").json()
        while True:
            for record in page.get("records", []):
                account = record.get("Account") or {}
                yield RemoteContact(
                    remote_id=str(record["Id"]),
                    groundswell_id=record.get(EXTERNAL_ID),
                    values={
                        "name": join_name(record.get("FirstName"), record.get("LastName")),
                        "email": record.get("Email"),
                        "phone": record.get("Phone"),
                        "company": account.get("Name") if isinstance(account, dict) else None,
                        "owner": record.get("OwnerId"),
                    },
                    modified_at=parse_sf_datetime(str(record["LastModifiedDate"])),
                )
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self._call("GET", str(next_url)).json()
