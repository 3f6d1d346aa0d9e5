"""The digest as an e-mail for notify's outbox: text, HTML and its charts inline.

The outbox row carries the finished message (notify knows nothing of digests): the HTML
references each chart as ``cid:<name>.<digest>@groundswell`` and the payload holds the
PNG bytes, base64, for the sender to attach as ``multipart/related`` parts.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from groundswell.analytics.digest.render import render_document
from groundswell.analytics.digest.schemas import DigestRead


def content_id(name: str, d: DigestRead) -> str:
    return f"{name}.{d.subject_id}.{d.first_day:%Y%m%d}@groundswell"


def text_lines(d: DigestRead, base_url: str) -> list[str]:
    m = d.moved
    lines = [f"{d.subject_name} · {d.label} ({d.tz})", ""]
    lines += [f"! {g}" for g in d.gaps]
    volume = f"{m.volume.value:,.0f}" if m.volume.value is not None else "no data"
    lines.append(f"Posts: {volume} (baseline: {m.volume.baseline or 'none'})")
    lines.append(f"Alerts opened: {m.alerts_total}")
    lines += [f"- S{a.severity} {a.metric}: {a.summary}" for a in m.alerts]
    lines += ["", "What to do:"]
    lines += [f"{a.rank}. {a.text}" for a in d.actions] or ["Nothing pressing."]
    lines += [
        "",
        f"Full digest: {base_url}/digest?subject_id={d.subject_id}&period={d.period}"
        f"&date={d.first_day.isoformat()}",
    ]
    return lines


def email_payload(d: DigestRead, images: Mapping[str, bytes], *, base_url: str) -> dict[str, Any]:
    """The outbox payload: ``title``, text ``lines``, ``html`` and ``inline_images``."""
    cids = {name: content_id(name, d) for name in images}
    html = render_document(
        d, {name: f"cid:{cid}" for name, cid in cids.items()}, base_url=base_url, email=True
    )
    kind = "Daily" if d.period == "day" else "Weekly"
    return {
        "title": f"{kind} digest: {d.subject_name[:80]} — {d.label}",
        "lines": text_lines(d, base_url),
        "html": html,
        "inline_images": [
            {"cid": cids[name], "subtype": "png", "data": base64.b64encode(data).decode()}
            for name, data in images.items()
        ],
        "digest": {"subject_id": d.subject_id, "period": d.period, "start": d.start.isoformat()},
    }
