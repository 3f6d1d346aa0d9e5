"""``POST /api/v1/ingest``: one post or a batch, validated item by item.

The body is parsed by hand rather than by a typed parameter so that one bad item
rejects only itself: every refusal names its item and field, is kept in the
dead-letter table, and the valid items still go through.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from groundswell.api.deps import ApiUser, SessionDep
from groundswell.ingestion.formats import Accepted, Rejected, validate_items
from groundswell.ingestion.formats.common import loads_json
from groundswell.ingestion.schemas import InboundPost, IngestResult, PostError
from groundswell.ingestion.service import record_rejections, submit_posts, validation_context
from groundswell.settings import Settings

router = APIRouter(tags=["ingest"])

MAX_BODY_BYTES = 20 * 1024 * 1024

_post_schema = InboundPost.model_json_schema(ref_template="#/components/schemas/{model}")
_OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/InboundPost"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/InboundPost"}},
                    ]
                }
            }
        },
    }
}


def _refuse(session: SessionDep, status: int, ref: str, reason: str, payload: str) -> JSONResponse:
    record_rejections(session, source="api", rejections=[(ref, None, reason, payload)])
    result = IngestResult(
        accepted=0, rejected=1, errors=[PostError(record=ref, field=None, reason=reason)]
    )
    return JSONResponse(status_code=status, content=result.model_dump())


@router.post(
    "/ingest",
    response_model=IngestResult,
    status_code=202,
    openapi_extra=_OPENAPI_BODY,
    responses={
        400: {"model": IngestResult, "description": "the body is not JSON"},
        413: {"description": "the body is too large"},
        422: {"model": IngestResult, "description": "no item was valid"},
    },
    summary="Submit one post or a batch of posts",
)
async def ingest(request: Request, session: SessionDep, user: ApiUser) -> JSONResponse:
    settings: Settings = request.app.state.settings
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return JSONResponse(
            status_code=413, content={"detail": f"body exceeds {MAX_BODY_BYTES} bytes"}
        )
    preview = body[:4000].decode("utf-8", "replace")
    try:
        doc = loads_json(body)
    except ValueError as exc:
        return _refuse(session, 400, "body", f"malformed JSON: {exc}", preview)
    items: list[object]
    if isinstance(doc, dict):
        items = [doc]
    elif isinstance(doc, list):
        items = doc
    else:
        return _refuse(session, 422, "body", "expected a JSON object or an array", preview)
    if len(items) > settings.api_max_batch:
        return JSONResponse(
            status_code=413,
            content={"detail": f"batch of {len(items)} exceeds {settings.api_max_batch} posts"},
        )
    parsed = validate_items(items, context=validation_context(settings))
    accepted = [r.post for r in parsed if isinstance(r, Accepted)]
    rejected = [r for r in parsed if isinstance(r, Rejected)]
    if rejected:
        record_rejections(
            session,
            source="api",
            rejections=[(r.ref, r.field, r.reason, r.payload) for r in rejected],
        )
    if accepted:
        await run_in_threadpool(submit_posts, request.app.state.broker, settings, accepted)
    result = IngestResult(
        accepted=len(accepted),
        rejected=len(rejected),
        errors=[PostError(record=r.ref, field=r.field, reason=r.reason) for r in rejected],
    )
    return JSONResponse(status_code=202 if accepted else 422, content=result.model_dump())


def register_schemas(openapi: dict[str, Any]) -> None:
    """Add InboundPost and its parts to the OpenAPI components (used by the body above)."""
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _post_schema.get("$defs", {}).items():
        components.setdefault(name, schema)
    top = {k: v for k, v in _post_schema.items() if k != "$defs"}
    components.setdefault("InboundPost", top)
