"""A ``StreamingResponse`` of CSV rows read in their own session while the body streams."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from groundswell.core.csv_export import encode_rows
from groundswell.core.db import Database


def _filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "export.csv"


def csv_response(
    db: Database,
    filename: str,
    header: Sequence[str],
    rows: Callable[[Session], Iterable[Sequence[Any]]],
) -> StreamingResponse:
    """Rows are produced by ``rows(session)`` as the client reads, so neither the rows
    nor the file are ever whole in memory; the session lives as long as the stream."""

    def body() -> Iterator[bytes]:
        with db.session() as session:
            yield from encode_rows(header, rows(session))

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(filename)}"',
            "Cache-Control": "no-store",
        },
    )
