"""The digest as HTML (web fragment, standalone page for PDF and e-mail) and as PDF.

One template (``templates/body.html``) for all three, so the e-mail, the PDF and the page
agree; only the image sources differ (data URIs on the web and in the PDF, ``cid:``
references to the inline attachments in the e-mail). Jinja autoescapes everything: post
text, case titles and subject names are hostile.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from groundswell.analytics.digest.period import zone
from groundswell.analytics.digest.schemas import DigestRead, Figure

TEMPLATES = Path(__file__).parent / "templates"
CSS = TEMPLATES / "digest.css"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _change(value: float | None) -> str:
    if value is None:
        return ""
    return f"{'+' if value >= 0 else '−'}{abs(value) * 100:.0f}%"


def _number(value: float | None) -> str:
    if value is None:
        return "no data"
    if value >= 10_000:
        return f"{value / 1000:,.0f}k"
    return f"{value:,.0f}"


def _minutes(value: float | None) -> str:
    if value is None:
        return "no data"
    if value < 90:
        return f"{value:.0f} min"
    return f"{value / 60:.1f} h"


def _trend(f: Figure, *, lower_is_better: bool = False) -> str:
    """``up``/``down`` for the arrow, ``good``/``bad`` for its colour."""
    if f.change is None or abs(f.change) < 0.05:
        return "flat"
    up = f.change > 0
    return ("up" if up else "down") + (" bad" if up == lower_is_better else " good")


def _local(value: datetime, tz: str, fmt: str = "%H:%M") -> str:
    return value.astimezone(zone(tz)).strftime(fmt)


_env.filters.update(pct=_pct, change=_change, number=_number, minutes=_minutes, local=_local)
_env.globals.update(trend=_trend)


def data_uris(images: Mapping[str, bytes]) -> dict[str, str]:
    return {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in images.items()}


def render_body(d: DigestRead, sources: Mapping[str, str], *, base_url: str = "") -> Markup:
    """The digest's markup (no ``<html>``): the web page embeds it as it is."""
    return Markup(_env.get_template("body.html").render(d=d, src=sources, base_url=base_url))  # noqa: S704


def render_document(
    d: DigestRead, sources: Mapping[str, str], *, base_url: str = "", email: bool = False
) -> str:
    """A standalone HTML page with its CSS inlined (the PDF's and the e-mail's source)."""
    return _env.get_template("document.html").render(
        d=d,
        body=render_body(d, sources, base_url=base_url),
        css=Markup(CSS.read_text(encoding="utf-8")),  # noqa: S704
        email=email,
    )


def render_pdf(d: DigestRead, images: Mapping[str, bytes]) -> bytes:
    """The one-page A4 PDF (WeasyPrint). Lists are cut in the schemas so it stays one."""
    from weasyprint import HTML

    html = render_document(d, data_uris(images))
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf
