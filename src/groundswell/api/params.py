"""Path and query parameter types shared by every API and page route.

An id in a path or query is parsed by these and nothing else, so the 64-bit bound is
checked in one place (``core.bounds``) and the OpenAPI description states it.
``tests/unit/web/test_param_bounds.py`` fails for any integer parameter without the bound.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from groundswell.core.bounds import MAX_INT64

PathId = Annotated[int, Path(ge=0, le=MAX_INT64, description="a row id")]
"""An id in a path; out of range is a 422, an unknown id a 404."""
QueryId = Annotated[int | None, Query(ge=0, le=MAX_INT64)]
"""An optional id in the query string."""
SegmentId = Annotated[
    int | None,
    Query(ge=1, le=MAX_INT64, description="only the cases of this segment's contacts"),
]
"""A saved segment to narrow cases to; 0 is refused (422) like any id no row can have."""
Offset = Annotated[int, Query(ge=0, le=MAX_INT64)]
"""How many rows to skip."""
