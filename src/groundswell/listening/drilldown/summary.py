"""A few plain sentences that say what is going on, built only from the computed facts.

No model writes this: each sentence comes from one fact (volume against the baseline,
the sentiment mix, the standout words, the main channel and author, a co-occurring
subject) and is left out when that fact is missing or says nothing, so the summary can
be trusted exactly as far as the numbers under it.
"""

from __future__ import annotations

from datetime import datetime

from groundswell.listening.drilldown.schemas import DrilldownRead

_QUOTE = "“{}”"


def _span(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"between {start:%H:%M} and {end:%H:%M} UTC on {start:%d %b %Y}"
    return f"between {start:%d %b %H:%M} and {end:%d %b %Y %H:%M} UTC"


def _number(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


def _volume(d: DrilldownRead) -> str:
    who = f"Talk about {d.subject.name}" if d.subject else "Talk"
    if d.channel:
        who += f" on {d.channel}"
    span = _span(d.volume.focus.start, d.volume.focus.end)
    posts = d.volume.focus.posts
    plural = "post" if posts == 1 else "posts"
    ratio = d.volume.ratio
    if ratio is None:
        if d.volume.baseline.hours_with_data == 0:
            return f"{who}: {posts:,} {plural} {span}, with no earlier data to compare with"
        return f"{who}: {posts:,} {plural} {span}, with none in the baseline period before"
    if ratio >= 1.5:
        level = f"rose to {ratio:.1f}× its usual level"
    elif ratio < 0.01:
        level = "fell below 1% of its usual level"
    elif ratio < 0.1:  # "0.0×" would read as none at all
        level = f"fell to {ratio:.0%} of its usual level"
    elif ratio <= 0.67:
        level = f"fell to {ratio:.1f}× its usual level"
    else:
        level = "stayed near its usual level"
    return f"{who} {level} {span} ({posts:,} {plural})"


def _sentiment(d: DrilldownRead) -> str | None:
    """The largest share, and its usual share when that differs by five points or more."""
    if not d.sentiment:
        return None
    top = max(d.sentiment, key=lambda m: m.share)
    usual = top.baseline_share
    if usual is None or abs(top.share - usual) < 0.05:
        return f"{top.share:.0%} {top.label}"
    return f"{top.share:.0%} {top.label} (usually {usual:.0%})"


def _words(d: DrilldownRead) -> str | None:
    picked: list[str] = []
    for k in [*d.phrases[:2], *d.terms]:
        if len(picked) >= 4:
            break
        if any(k.term in p.split() or k.term == p for p in picked):
            continue
        picked.append(k.term)
    if not picked:
        return None
    quoted = [_QUOTE.format(t) for t in picked]
    listed = ", ".join(quoted[:-1]) + " and " + quoted[-1] if len(quoted) > 1 else quoted[0]
    return f"The words that stand out against {d.comparison} are {listed}."


def _people(d: DrilldownRead) -> str | None:
    parts = []
    if d.channels:
        top = d.channels[0]
        parts.append(
            f"most posts come from {top.label} ({top.share:.0%})"
            if top.share >= 0.5
            else f"{top.label} carries the most posts ({top.share:.0%})"
        )
    if d.authors:
        a = d.authors[0]
        name = a.handle or a.display_name or f"identity {a.identity_id}"
        followers = f"{_number(a.followers)} followers, " if a.followers else ""
        posts = "post" if a.posts == 1 else "posts"
        if a.followers:
            parts.append(f"the most influential author is {name} ({followers}{a.posts} {posts})")
        elif a.posts > 1:
            # No influence to rank by: name the most active author, and say so.
            parts.append(f"the most active author is {name} ({a.posts} {posts})")
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _themes(d: DrilldownRead) -> str | None:
    themed = [c for c in d.clusters if c.terms][:2]
    if not themed:
        return None
    names = [" / ".join(c.terms[:2]) for c in themed]
    if len(names) == 1:
        return f"The main group of similar posts is about {names[0]}."
    return f"The main groups of similar posts are about {names[0]} and {names[1]}."


def _together(d: DrilldownRead) -> str | None:
    for c in d.cooccurring:
        if c.focus_share >= 0.1 and (c.lift is None or c.lift >= 1.5):
            return f"{c.subject.name} is mentioned alongside in {c.focus_share:.0%} of posts."
    return None


def summarise(d: DrilldownRead) -> str:
    """The summary paragraph for a drill-down whose other fields are filled in."""
    if d.volume.focus.posts == 0 and not d.samples:
        who = f"about {d.subject.name}" if d.subject else ""
        return f"No posts {who} {_span(d.volume.focus.start, d.volume.focus.end)}.".replace(
            "  ", " "
        )
    mood = _sentiment(d)
    sentences = [_volume(d) + (f", {mood}." if mood else ".")]
    for extra in (_words(d), _themes(d), _people(d), _together(d)):
        if extra:
            sentences.append(extra)
    return " ".join(sentences)
