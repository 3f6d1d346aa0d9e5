"""The error answers every API operation can give, written into the OpenAPI description.

FastAPI documents only the success and its own 422 shape, which is not ours
(``api/errors.py`` answers ``{"detail": "…", "errors": [{"field", "reason"}]}``).
Clients generated from the description, and the contract test over it, need the real
bodies of 400, 401, 403, 404, 413 and 422 on every operation. 400 and 413 apply to
operations without a body too: the body limit (``api/body_limit.py``) stands in front of
every route and refuses a ``Content-Length`` header that is not a number (400) or that
declares more than the limit (413), whatever the method.
"""

from __future__ import annotations

from typing import Any

ERROR_DETAIL: dict[str, Any] = {
    "title": "ErrorDetail",
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR: dict[str, Any] = {
    "title": "ValidationErrorBody",
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "reason": {"type": "string"},
                    "position": {"type": "integer"},
                },
                "required": ["field", "reason"],
            },
        },
    },
    "required": ["detail"],
}
_ERRORS = {
    "400": "the body is not valid JSON, or the Content-Length header is not a number",
    "401": "missing or invalid API token",
    "403": "the caller's role may not do this, or a browser session sent no CSRF token",
    "404": "no such record",
    "413": "the request body is too large",
    "422": "the request is invalid; each error names its field",
}
_WITHOUT_BODY = {
    "400": "the Content-Length header is not a number",
    "413": "the declared Content-Length exceeds the request body limit",
}
_WITH_BODY = frozenset({"post", "put", "patch"})


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def document_errors(openapi: dict[str, Any]) -> None:
    """Add the error responses to every ``/api`` operation that does not declare its own."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorDetail"] = ERROR_DETAIL
    # FastAPI's own 422 model is replaced by the body the app really sends.
    schemas["HTTPValidationError"] = VALIDATION_ERROR
    for path, item in openapi.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in _ERRORS.items():
                if method not in _WITH_BODY:
                    description = _WITHOUT_BODY.get(code, description)
                model = "HTTPValidationError" if code == "422" else "ErrorDetail"
                content = {"application/json": {"schema": _ref(model)}}
                responses.setdefault(code, {"description": description, "content": content})
