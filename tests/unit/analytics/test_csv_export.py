"""Streamed CSV: cells that a spreadsheet would run are quoted as text; chunks add up."""

from __future__ import annotations

import csv
import io

from groundswell.core.csv_export import encode_rows, safe_cell


def test_formula_cells_are_escaped_numbers_are_not() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+33 6 12") == "'+33 6 12"
    assert safe_cell("-cmd") == "'-cmd"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\t=x") == "'\t=x"
    assert safe_cell("plain") == "plain"
    assert safe_cell(-3) == -3 and safe_cell(-0.5) == -0.5
    assert safe_cell(None) == "" and safe_cell(True) == "true"


def test_chunks_concatenate_to_the_whole_file() -> None:
    rows = ((i, f"=name {i}", 'x,"y"\nz') for i in range(10_001))
    chunks = list(encode_rows(("id", "name", "note"), rows, chunk_rows=1000))
    assert len(chunks) > 10
    parsed = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert parsed[0] == ["id", "name", "note"]
    assert len(parsed) == 10_002
    assert parsed[-1] == ["10000", "'=name 10000", 'x,"y"\nz']
