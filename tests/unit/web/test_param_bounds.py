"""Every integer a client sends is bounded to 64 bits, on every route, API and pages.

Derived from the app itself, so a new route or field with a bare ``int`` fails here
before it can answer 500 on ``2**63``.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import annotated_types
from fastapi import FastAPI
from fastapi.routing import APIRoute

from groundswell.app import create_app
from groundswell.core.bounds import MAX_INT64
from groundswell.settings import Settings


def _routes(app: FastAPI) -> Iterator[Any]:
    for route in app.routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "effective_route_contexts"):
            yield from route.effective_route_contexts()


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    return any(_is_int(arg) for arg in typing.get_args(annotation))


def _bounded(field: Any) -> bool:
    for meta in [*field.field_info.metadata, *_inner_metadata(field.field_info.annotation)]:
        if isinstance(meta, annotated_types.Le) and int(meta.le) <= MAX_INT64:
            return True
        if isinstance(meta, annotated_types.Lt) and int(meta.lt) <= MAX_INT64 + 1:
            return True
    return False


def _inner_metadata(annotation: Any) -> list[Any]:
    found: list[Any] = []
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Annotated:
            for meta in arg.__metadata__:
                found.extend(getattr(meta, "metadata", [meta]))
        found.extend(_inner_metadata(arg))
    return found


def test_every_integer_parameter_of_every_route_is_bounded(settings: Settings) -> None:
    app = create_app(settings, embedded_worker=False)
    unbounded = []
    for route in _routes(app):
        for kind in ("path_params", "query_params", "body_params"):
            for field in getattr(route.dependant, kind, []):
                if _is_int(field.field_info.annotation) and not _bounded(field):
                    unbounded.append(f"{route.path} {kind[:-7]} {field.name}")
        for sub in route.dependant.dependencies:
            for field in [*sub.path_params, *sub.query_params]:
                if _is_int(field.field_info.annotation) and not _bounded(field):
                    unbounded.append(f"{route.path} dependency {field.name}")
    assert not unbounded, unbounded


def _integers(schema: Any, components: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    if isinstance(schema, list):
        for item in schema:
            yield from _integers(item, components, where, seen)
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _integers(components[name], components, name, seen | {name})
        return
    # The description may carry the bound as a float: 2**63 - 1 rounds to 2**63.
    if schema.get("type") == "integer" and float(schema.get("maximum", 2.0**64)) > 2.0**63:
        yield where
    for key, value in schema.items():
        yield from _integers(value, components, f"{where}.{key}", seen)


def test_the_description_bounds_every_integer_a_client_sends(settings: Settings) -> None:
    doc = create_app(settings, embedded_worker=False).openapi()
    components = doc["components"]["schemas"]
    unbounded = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                where = f"{method} {path} {parameter['name']}"
                unbounded += _integers(parameter.get("schema", {}), components, where, set())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                where = f"{method} {path} body"
                unbounded += _integers(content.get("schema", {}), components, where, set())
    assert not unbounded, unbounded
