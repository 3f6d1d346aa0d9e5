"""Server-rendered pages (placeholder until the web UI lands)."""

from __future__ import annotations

from fastapi import FastAPI


def install_web(app: FastAPI) -> None:
    return None
