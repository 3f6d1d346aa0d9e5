"""The digest's two charts as PNG bytes, drawn with matplotlib's Agg backend.

PNG because e-mail clients show inline PNG attachments (``cid:``) where they refuse SVG
and scripts; the same bytes go into the web page and the PDF as data URIs. Figures are
built with the object API (no ``pyplot`` global state), so worker threads can draw at
the same time. matplotlib is imported on the first chart, not with the module: it costs
about 0.6 s, which every web process would otherwise pay at start.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import TYPE_CHECKING

from groundswell.analytics.digest.period import zone
from groundswell.analytics.digest.schemas import DigestRead

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INK = "#1f2933"
MUTED = "#7b8794"
BAR = "#3e7cb1"
BASE = "#e07a2f"
DPI = 160


def _png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white", bbox_inches="tight", pad_inches=0.04)
    return out.getvalue()


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#cbd2d9")
    ax.tick_params(colors=MUTED, labelsize=7, length=2)


def volume_chart(d: DigestRead) -> bytes:
    """Posts per hour (bars) against the seasonal baseline (line), in the digest's zone."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(4.6, 1.55))
    ax = fig.add_subplot()
    _style(ax)
    n = len(d.moved.hourly_volume)
    xs = list(range(n))
    ax.bar(xs, d.moved.hourly_volume, width=0.85, color=BAR, label="posts")
    base = d.moved.hourly_baseline
    if any(v is not None for v in base):
        ax.plot(
            xs,
            [v if v is not None else float("nan") for v in base],
            color=BASE,
            linewidth=1.2,
            label="seasonal baseline",
        )
    tz = zone(d.tz)
    step = 3 if n <= 30 else 24
    ticks = list(range(0, n, step))
    fmt = "%H:%M" if n <= 30 else "%a"
    ax.set_xticks(ticks)
    ax.set_xticklabels([(d.start + timedelta(hours=i)).astimezone(tz).strftime(fmt) for i in ticks])
    ax.set_xlim(-0.6, max(n, 1) - 0.4)
    ax.legend(fontsize=6.5, frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncols=2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.margins(y=0.15)
    fig.tight_layout(pad=0.3)
    return _png(fig)


def voice_chart(d: DigestRead) -> bytes:
    """Share of voice: the brand first, then competitors, as horizontal bars."""
    from matplotlib.figure import Figure

    voices = d.moved.share_of_voice
    fig = Figure(figsize=(2.6, 1.55))
    ax = fig.add_subplot()
    _style(ax)
    names = [v.name if len(v.name) <= 16 else v.name[:15] + "…" for v in voices]
    shares = [(v.share or 0.0) * 100 for v in voices]
    colors = [BAR if v.subject_id == d.subject_id else "#9aa5b1" for v in voices]
    ys = list(range(len(voices)))[::-1]
    ax.barh(ys, shares, color=colors, height=0.65)
    ax.set_yticks(ys)
    ax.set_yticklabels(names)
    for y, share in zip(ys, shares, strict=True):
        ax.text(share + 1, y, f"{share:.0f}%", va="center", fontsize=6.5, color=INK)
    ax.set_xlim(0, max([*shares, 1.0]) * 1.25)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    fig.tight_layout(pad=0.3)
    return _png(fig)


def charts(d: DigestRead) -> dict[str, bytes]:
    """The digest's images by name (``volume``, ``voice``)."""
    return {"volume": volume_chart(d), "voice": voice_chart(d)}
