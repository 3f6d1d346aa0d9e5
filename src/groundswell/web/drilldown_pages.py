"""The drill-down page: ``/drilldown?alert_id=N`` or ``?subject_id=N&start=…&end=…``.

Without a complete choice the page shows only its form (subject, range, channel), so a
link from a chart or an alert opens straight onto the answer and a bare visit onto the
question. Bad values come back as the form with the error beside it (422), never a
stack trace.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from groundswell.api.deps import SessionDep
from groundswell.core.bounds import parse_id
from groundswell.core.clock import to_utc
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.read import list_channels
from groundswell.listening.drilldown.private import for_role
from groundswell.listening.drilldown.schemas import DrilldownRead
from groundswell.listening.drilldown.service import drilldown, drilldown_for_alert
from groundswell.listening.service import list_subjects
from groundswell.web.deps import WebUser
from groundswell.web.templating import render

router = APIRouter(include_in_schema=False)


def _when(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInputError(f"{field} is not a date and time", field=field) from exc
    return to_utc(parsed)


def _int(value: str | None, field: str) -> int | None:
    if not value:
        return None
    number = parse_id(value, minimum=0)
    if number is None:
        raise InvalidInputError(
            f"{field} must be a number (a whole number below 2^63)", field=field
        )
    return number


def _local(value: datetime | None) -> str:
    """A value for ``<input type=datetime-local>`` (UTC, minutes)."""
    return value.strftime("%Y-%m-%dT%H:%M") if value else ""


def _csv_url(result: DrilldownRead) -> str:
    """The same drill-down as CSV, from the API (which takes the session's login too)."""
    if result.alert_id is not None:
        return f"/api/v1/alerts/{result.alert_id}/drilldown.csv"
    query = {
        "start": result.volume.focus.start.isoformat(),
        "end": result.volume.focus.end.isoformat(),
    }
    if result.subject is not None:
        query["subject_id"] = str(result.subject.id)
    if result.channel:
        query["channel"] = result.channel
    return f"/api/v1/drilldown.csv?{urlencode(query)}"


@router.get("/drilldown", response_class=HTMLResponse)
def drilldown_page(
    request: Request,
    session: SessionDep,
    user: WebUser,
    alert_id: str | None = None,
    subject_id: str | None = None,
    start: str | None = None,
    end: str | None = None,
    channel: str | None = None,
) -> Response:
    result: DrilldownRead | None = None
    error: InvalidInputError | None = None
    status = 200
    form = {"subject_id": subject_id or "", "channel": channel or "", "start": "", "end": ""}
    try:
        alert = _int(alert_id, "alert_id")
        begin, finish = _when(start, "start"), _when(end, "end")
        if alert is not None:
            result = drilldown_for_alert(session, alert)
        elif begin and finish:
            result = drilldown(
                session,
                subject_id=_int(subject_id, "subject_id"),
                start=begin,
                end=finish,
                channel=(channel or "").strip()[:64] or None,
            )
        if result is not None:
            result = for_role(result, role=user.role)
            begin, finish = result.volume.focus.start, result.volume.focus.end
            form["subject_id"] = str(result.subject.id) if result.subject else ""
        form["start"] = _local(begin or datetime.now(UTC) - timedelta(hours=1))
        form["end"] = _local(finish or datetime.now(UTC))
    except InvalidInputError as exc:
        error, status = exc, 422
        form["start"], form["end"] = (start or "")[:16], (end or "")[:16]
    except NotFoundError as exc:
        return render(
            request,
            "error.html",
            {"title": "Not found", "message": f"The {exc.what} #{exc.key} does not exist."},
            user=user,
            status_code=404,
        )
    return render(
        request,
        "drilldown.html",
        {
            "active": "drilldown",
            "result": result,
            "csv_url": _csv_url(result) if result is not None else None,
            "error": error,
            "form": form,
            "subjects": list_subjects(session),
            "channels": list_channels(session),
        },
        user=user,
        status_code=status,
    )
