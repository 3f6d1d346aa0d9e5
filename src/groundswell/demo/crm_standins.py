"""Local stand-ins for Salesforce and HubSpot: real HTTP, documented wire formats.

Each keeps its records in memory and implements the part of the API CRM sync uses,
answering with the documented payload shapes, including the errors: Salesforce's
``[{"message": …, "errorCode": …}]`` (a 401 ``INVALID_SESSION_ID`` when a session
expires, 403 ``REQUEST_LIMIT_EXCEEDED``) and HubSpot's ``{"status": "error", "message":
…, "correlationId": …, "category": …}`` (429 with ``Retry-After``). Tests arm an error
once (``expire_session_once``, ``limit_once``, ``throttle_once``); ``edit`` changes a
record as a CRM user would, moving its last-modified time.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from groundswell.channels.common.standin import Request, Response, StandinServer

SF_API = "/services/data/v59.0"
SF_PREFIX = {"Contact": "003", "Case": "500", "Task": "00T", "Account": "001"}
SF_REQUIRED = {"Contact": ("LastName",), "Case": (), "Task": ()}
SF_REFERENCES = {"ContactId": "Contact", "WhoId": "Contact", "WhatId": "Case"}
SF_OWNER = "005000000000001AAA"
SOQL = re.compile(
    r"^SELECT (?P<fields>.+?) FROM (?P<object>\w+)"
    r"(?: WHERE LastModifiedDate (?P<op>>=|>) (?P<ts>\S+))?"
    r"(?: ORDER BY LastModifiedDate(?: ASC)?)?$"
)


class _Clock:
    """Strictly increasing modification times, a millisecond apart at least."""

    def __init__(self) -> None:
        self._last = datetime(2000, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def tick(self) -> datetime:
        with self._lock:
            now = datetime.now(UTC).replace(
                microsecond=datetime.now(UTC).microsecond // 1000 * 1000
            )
            if now <= self._last:
                now = self._last + timedelta(milliseconds=1)
            self._last = now
            return now


def _sf_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _sf_parse(value: str) -> datetime:
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text)


def sf_error(status: int, message: str, code: str, **extra: Any) -> Response:
    return Response(status, [{"message": message, "errorCode": code, **extra}])


class SalesforceStandin(StandinServer):
    """Salesforce REST API v59.0: OAuth client credentials, sObject upsert, SOQL query."""

    name = "salesforce"

    def __init__(self, *, page_size: int = 2000) -> None:
        super().__init__()
        self.client_id = "3MVG9demo.groundswell"
        self.client_secret = secrets.token_hex(16)
        self.page_size = page_size
        self.records: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in SF_PREFIX}
        self.tokens: set[str] = set()
        self.tokens_issued = 0
        self._ids = itertools.count(1)
        self._clock = _Clock()
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._expire_once = False
        self._limit_once = False
        self._state = threading.Lock()

    # -- test and demo controls -------------------------------------------------------------
    def expire_session_once(self) -> None:
        """The next API call finds its session expired (401 INVALID_SESSION_ID)."""
        self._expire_once = True

    def limit_once(self) -> None:
        """The next API call is refused with 403 REQUEST_LIMIT_EXCEEDED."""
        self._limit_once = True

    def by_external_id(self, sobject: str, gid: str) -> dict[str, Any] | None:
        with self._state:
            for record in self.records[sobject].values():
                if record.get("Groundswell_Id__c") == gid:
                    return dict(record)
        return None

    def edit(self, sobject: str, record_id: str, **fields: Any) -> None:
        """Change a record as a user in Salesforce would."""
        with self._state:
            record = self.records[sobject][record_id]
            if "Company" in fields:
                account_id = self._new_id("Account")
                self.records["Account"][account_id] = {
                    "Id": account_id,
                    "Name": fields.pop("Company"),
                }
                record["AccountId"] = account_id
            record.update(fields)
            record["LastModifiedDate"] = _sf_time(self._clock.tick())

    # -- plumbing ---------------------------------------------------------------------------
    def _new_id(self, sobject: str) -> str:
        return f"{SF_PREFIX[sobject]}{next(self._ids):012d}AAA"

    def handle(self, request: Request) -> Response:
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        if not request.path.startswith(SF_API):
            return sf_error(404, "The requested resource does not exist", "NOT_FOUND")
        auth = request.header("Authorization") or ""
        token = auth.removeprefix("Bearer ")
        if token not in self.tokens:
            return sf_error(401, "Session expired or invalid", "INVALID_SESSION_ID")
        if self._expire_once:
            self._expire_once = False
            self.tokens.discard(token)
            return sf_error(401, "Session expired or invalid", "INVALID_SESSION_ID")
        if self._limit_once:
            self._limit_once = False
            return sf_error(403, "TotalRequests Limit exceeded.", "REQUEST_LIMIT_EXCEEDED")
        path = request.path.removeprefix(SF_API)
        parts = path.strip("/").split("/")
        if parts[0] == "query":
            return self._query(request, parts[1] if len(parts) > 1 else None)
        if len(parts) == 4 and parts[0] == "sobjects" and parts[2] == "Groundswell_Id__c":
            if parts[1] not in SF_REQUIRED:
                return sf_error(404, f"sObject type '{parts[1]}' is not supported.", "NOT_FOUND")
            if request.method == "PATCH":
                return self._upsert(parts[1], parts[3], request)
            if request.method == "GET":
                found = self.by_external_id(parts[1], parts[3])
                return Response(200, found) if found else sf_error(404, "Not found", "NOT_FOUND")
        return sf_error(404, "The requested resource does not exist", "NOT_FOUND")

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in request.form().items()}
        if form.get("grant_type") != "client_credentials":
            return Response(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
            )
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return Response(
                400, {"error": "invalid_client", "error_description": "invalid client credentials"}
            )
        token = "00Dstandin!" + secrets.token_urlsafe(24)
        self.tokens.add(token)
        self.tokens_issued += 1
        return Response(
            200,
            {
                "access_token": token,
                "instance_url": self.url,
                "id": f"{self.url}/id/00D000000000001AAA/005000000000001AAA",
                "token_type": "Bearer",
                "issued_at": str(int(datetime.now(UTC).timestamp() * 1000)),
                "signature": secrets.token_urlsafe(32),
            },
        )

    def _upsert(self, sobject: str, gid: str, request: Request) -> Response:
        try:
            fields = request.json()
        except ValueError:
            return sf_error(400, "The request body is not valid JSON", "JSON_PARSER_ERROR")
        if not isinstance(fields, dict):
            return sf_error(400, "Expected a JSON object", "JSON_PARSER_ERROR")
        with self._state:
            for name, target in SF_REFERENCES.items():
                ref = fields.get(name)
                if ref and ref not in self.records[target]:
                    return sf_error(
                        400,
                        f"{name}: id value of incorrect type: {ref}",
                        "MALFORMED_ID",
                        fields=[name],
                    )
            existing: dict[str, Any] | None = next(
                (r for r in self.records[sobject].values() if r.get("Groundswell_Id__c") == gid),
                None,
            )
            created = existing is None
            if existing is None:
                missing = [f for f in SF_REQUIRED[sobject] if not fields.get(f)]
                if missing:
                    return sf_error(
                        400,
                        f"Required fields are missing: [{', '.join(missing)}]",
                        "REQUIRED_FIELD_MISSING",
                        fields=missing,
                    )
                record_id = self._new_id(sobject)
                record: dict[str, Any] = {
                    "Id": record_id,
                    "Groundswell_Id__c": gid,
                    "OwnerId": SF_OWNER,
                    "CreatedDate": None,
                }
                self.records[sobject][record_id] = record
            else:
                record = existing
            record.update(fields)
            stamp = _sf_time(self._clock.tick())
            record["LastModifiedDate"] = stamp
            record["CreatedDate"] = record["CreatedDate"] or stamp
            body: dict[str, Any] = {
                "id": record["Id"],
                "success": True,
                "errors": [],
                "created": created,
            }
        return Response(201 if created else 200, body)

    def _project(self, sobject: str, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": sobject, "url": f"{SF_API}/sobjects/{sobject}/{record['Id']}"}
        }
        for field in fields:
            if "." in field:
                relation, name = field.split(".", 1)
                target = self.records["Account"].get(record.get(f"{relation}Id") or "")
                out[relation] = (
                    None
                    if target is None
                    else {
                        "attributes": {
                            "type": relation,
                            "url": f"{SF_API}/sobjects/{relation}/{target['Id']}",
                        },
                        name: target.get(name),
                    }
                )
            else:
                out[field] = record.get(field)
        return out

    def _query(self, request: Request, locator: str | None) -> Response:
        if locator is not None:
            rows = self._cursors.pop(locator, None)
            if rows is None:
                return sf_error(400, "invalid query locator", "INVALID_QUERY_LOCATOR")
            return Response(200, self._page(rows))
        match = SOQL.match((request.arg("q") or "").strip())
        if match is None or match["object"] not in self.records:
            return sf_error(400, "unexpected token in query", "MALFORMED_QUERY")
        fields = [f.strip() for f in match["fields"].split(",")]
        with self._state:
            rows = list(self.records[match["object"]].values())
            if match["ts"]:
                since = _sf_parse(match["ts"])
                inclusive = match["op"] == ">="
                rows = [
                    r
                    for r in rows
                    if (t := _sf_parse(r["LastModifiedDate"])) > since or (inclusive and t == since)
                ]
            rows.sort(key=lambda r: r["LastModifiedDate"])
            projected = [self._project(match["object"], r, fields) for r in rows]
        return Response(200, self._page(projected))

    def _page(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        head, rest = rows[: self.page_size], rows[self.page_size :]
        body: dict[str, Any] = {"totalSize": len(rows), "done": not rest, "records": head}
        if rest:
            locator = f"01gD0000002HU6K{uuid.uuid4().hex[:6]}-{self.page_size}"
            self._cursors[locator] = rest
            body["nextRecordsUrl"] = f"{SF_API}/query/{locator}"
        return body


def hs_error(status: int, message: str, category: str, **extra: Any) -> Response:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }
    return Response(status, body)


HS_TYPES = ("contacts", "tickets", "notes")
HS_MODIFIED = {
    "contacts": "lastmodifieddate",
    "tickets": "hs_lastmodifieddate",
    "notes": "hs_lastmodifieddate",
}


class HubSpotStandin(StandinServer):
    """HubSpot CRM v3 objects, batch upsert and search; v4 default associations."""

    name = "hubspot"

    def __init__(self, *, page_size: int = 100) -> None:
        super().__init__()
        self.token = "pat-eu1-" + secrets.token_hex(16)
        self.page_size = page_size
        self.objects: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in HS_TYPES}
        self.associations: set[tuple[str, str, str, str, int]] = set()
        self._ids = itertools.count(1001)
        self._clock = _Clock()
        self._throttle_once = False
        self._state = threading.Lock()

    def throttle_once(self) -> None:
        """The next call is refused with 429 and ``Retry-After: 1``."""
        self._throttle_once = True

    def by_groundswell_id(self, object_type: str, gid: str) -> dict[str, Any] | None:
        with self._state:
            for record in self.objects[object_type].values():
                if record["properties"].get("groundswell_id") == gid:
                    return {**record, "properties": dict(record["properties"])}
        return None

    def associated(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, int]]:
        with self._state:
            return sorted(
                (t, type_id)
                for f_type, f_id, t_type, t, type_id in self.associations
                if f_type == from_type and f_id == from_id and t_type == to_type
            )

    def edit(self, object_type: str, record_id: str, **properties: Any) -> None:
        with self._state:
            record = self.objects[object_type][record_id]
            record["properties"].update({k: str(v) for k, v in properties.items()})
            self._touch(object_type, record)

    def _touch(self, object_type: str, record: dict[str, Any]) -> None:
        stamp = self._clock.tick().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record["updatedAt"] = stamp
        record["properties"][HS_MODIFIED[object_type]] = stamp

    def _create(self, object_type: str, properties: dict[str, Any]) -> dict[str, Any]:
        record_id = str(next(self._ids))
        props: dict[str, str] = {k: "" if v is None else str(v) for k, v in properties.items()}
        props["hs_object_id"] = record_id
        record: dict[str, Any] = {
            "id": record_id,
            "properties": props,
            "createdAt": None,
            "updatedAt": None,
            "archived": False,
        }
        self._touch(object_type, record)
        record["createdAt"] = record["updatedAt"]
        props["createdate"] = record["updatedAt"]
        self.objects[object_type][record_id] = record
        return record

    def handle(self, request: Request) -> Response:
        if request.header("Authorization") != f"Bearer {self.token}":
            return hs_error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                "INVALID_AUTHENTICATION",
            )
        if self._throttle_once:
            self._throttle_once = False
            answer = hs_error(
                429,
                "You have reached your secondly limit.",
                "RATE_LIMITS",
                errorType="RATE_LIMIT",
                policyName="SECONDLY",
            )
            answer.headers["Retry-After"] = "1"
            return answer
        parts = request.path.strip("/").split("/")
        if parts[:3] == ["crm", "v4", "objects"] and request.method == "PUT" and len(parts) == 9:
            return self._associate(parts[3], parts[4], parts[7], parts[8])
        if parts[:3] != ["crm", "v3", "objects"] or len(parts) < 4 or parts[3] not in HS_TYPES:
            return hs_error(404, "Resource not found", "OBJECT_NOT_FOUND")
        object_type, rest = parts[3], parts[4:]
        body = request.json() if request.body else None
        if rest == ["batch", "upsert"] and request.method == "POST":
            return self._batch_upsert(object_type, body)
        if rest == ["search"] and request.method == "POST":
            return self._search(object_type, body)
        if not rest and request.method == "POST":
            return self._create_with_associations(object_type, body)
        if not rest and request.method == "GET":
            with self._state:
                results = list(self.objects[object_type].values())[:1]
            return Response(200, {"results": results})
        if len(rest) == 1 and request.method == "PATCH":
            with self._state:
                record = self.objects[object_type].get(rest[0])
                if record is None:
                    return hs_error(
                        404, "Object not found. objectId are usually numeric.", "OBJECT_NOT_FOUND"
                    )
                record["properties"].update(
                    {k: str(v) for k, v in (body or {}).get("properties", {}).items()}
                )
                self._touch(object_type, record)
                return Response(200, record)
        return hs_error(404, "Resource not found", "OBJECT_NOT_FOUND")

    def _batch_upsert(self, object_type: str, body: Any) -> Response:
        inputs = (body or {}).get("inputs")
        if not isinstance(inputs, list) or not inputs:
            return hs_error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        results = []
        started = datetime.now(UTC).isoformat()
        with self._state:
            for item in inputs:
                if item.get("idProperty") != "groundswell_id":
                    return hs_error(
                        400,
                        f"Property {item.get('idProperty')!r} is not a unique-value property",
                        "VALIDATION_ERROR",
                    )
                gid = str(item.get("id"))
                properties = {**(item.get("properties") or {}), "groundswell_id": gid}
                existing = next(
                    (
                        r
                        for r in self.objects[object_type].values()
                        if r["properties"].get("groundswell_id") == gid
                    ),
                    None,
                )
                if existing is None:
                    record = self._create(object_type, properties)
                    results.append({**record, "new": True})
                else:
                    existing["properties"].update(
                        {k: "" if v is None else str(v) for k, v in properties.items()}
                    )
                    self._touch(object_type, existing)
                    results.append({**existing, "new": False})
        return Response(
            200,
            {
                "status": "COMPLETE",
                "results": results,
                "startedAt": started,
                "completedAt": datetime.now(UTC).isoformat(),
            },
        )

    @staticmethod
    def _matches(record: dict[str, Any], flt: dict[str, Any]) -> bool:
        value = record["properties"].get(flt.get("propertyName"))
        wanted = str(flt.get("value"))
        op = flt.get("operator")
        if op == "EQ":
            return bool(value == wanted)
        if op in ("GT", "GTE") and value:
            left = datetime.fromisoformat(value.replace("Z", "+00:00"))
            right = (
                datetime.fromtimestamp(int(wanted) / 1000, tz=UTC)
                if wanted.isdigit()
                else datetime.fromisoformat(wanted.replace("Z", "+00:00"))
            )
            return left > right if op == "GT" else left >= right
        return False

    def _search(self, object_type: str, body: Any) -> Response:
        body = body or {}
        groups = body.get("filterGroups") or []
        limit = min(int(body.get("limit") or 10), 200)
        offset = int(body.get("after") or 0)
        with self._state:
            rows = [
                r
                for r in self.objects[object_type].values()
                if not groups
                or any(all(self._matches(r, f) for f in g.get("filters", [])) for g in groups)
            ]
            for sort in body.get("sorts") or []:
                name = str(sort.get("propertyName"))

                def key(r: dict[str, Any], n: str = name) -> str:
                    return str(r["properties"].get(n) or "")

                rows.sort(key=key, reverse=sort.get("direction") == "DESCENDING")
            wanted = body.get("properties") or []
            page = [
                {
                    **r,
                    "properties": {
                        k: v
                        for k, v in r["properties"].items()
                        if k in wanted
                        or k in ("hs_object_id", "createdate", HS_MODIFIED[object_type])
                    },
                }
                for r in rows[offset : offset + min(limit, self.page_size)]
            ]
        answer: dict[str, Any] = {"total": len(rows), "results": page}
        end = offset + len(page)
        if end < len(rows):
            answer["paging"] = {"next": {"after": str(end), "link": "?after=" + str(end)}}
        return Response(200, answer)

    def _exists(self, object_type: str, record_id: str) -> bool:
        return record_id in self.objects.get(object_type, {})

    def _create_with_associations(self, object_type: str, body: Any) -> Response:
        body = body or {}
        targets = {202: "contacts", 228: "tickets", 16: "contacts", 15: "tickets"}
        with self._state:
            links = []
            for assoc in body.get("associations") or []:
                to_id = str((assoc.get("to") or {}).get("id"))
                for spec in assoc.get("types") or []:
                    to_type = targets.get(int(spec.get("associationTypeId", 0)))
                    if to_type is None or not self._exists(to_type, to_id):
                        return hs_error(
                            400,
                            f"One or more associations are invalid: {to_id}",
                            "VALIDATION_ERROR",
                        )
                    links.append((to_type, to_id, int(spec["associationTypeId"])))
            record = self._create(object_type, body.get("properties") or {})
            for to_type, to_id, type_id in links:
                self.associations.add((object_type, record["id"], to_type, to_id, type_id))
        return Response(201, record)

    def _associate(self, from_type: str, from_id: str, to_type: str, to_id: str) -> Response:
        default = {
            ("tickets", "contacts"): 16,
            ("contacts", "tickets"): 15,
            ("notes", "contacts"): 202,
        }
        with self._state:
            if not self._exists(from_type, from_id) or not self._exists(to_type, to_id):
                return hs_error(404, "Object not found", "OBJECT_NOT_FOUND")
            type_id = default.get((from_type, to_type), 1)
            self.associations.add((from_type, from_id, to_type, to_id, type_id))
        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
        now = datetime.now(UTC).isoformat()
        return Response(
            200,
            {
                "status": "COMPLETE",
                "results": [
                    {"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": spec}
                ],
                "startedAt": now,
                "completedAt": now,
            },
        )
