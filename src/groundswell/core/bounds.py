"""Bounds every number from outside must fit before it reaches the database.

Both SQLite and PostgreSQL store integers in 64 bits; a larger Python int overflows in
the driver and surfaces as a 500. Every id, count and parameter taken from a request, a
file or a form is therefore checked against these limits at the edge, and the same
limits are what the OpenAPI description advertises.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_INT64 = 2**63 - 1
MIN_INT64 = -(2**63)

Int64 = Annotated[int, Field(ge=MIN_INT64, le=MAX_INT64)]
"""Any integer a database column can hold."""
Count = Annotated[int, Field(ge=0, le=MAX_INT64)]
"""A non-negative count (followers, likes, shares)."""
Id = Annotated[int, Field(ge=1, le=MAX_INT64)]
"""A row id."""


def parse_id(value: str | None, *, minimum: int = 1) -> int | None:
    """A decimal id typed by a person or in a link, or None when it is not one.

    ``str.isdigit`` accepts ``²`` and ``١`` and leaves the size open; only ASCII digits
    within 64 bits pass here.
    """
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 19 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if minimum <= number <= MAX_INT64 else None
