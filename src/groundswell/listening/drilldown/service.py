"""Drill-down for a time range of one subject (or all posts), or for an alert's episode.

The focus window is compared with a baseline window that ends where the focus starts:
by default the 24 hours before (or as long as the focus, if that is longer), so daily
rhythm averages out and a short spike has enough "usual" talk to stand against. A
default baseline with too few posts widens to 7 days; a subject still too quiet has its
words compared with all posts of that period.
Bounded reads (see ``queries``) keep a drill-down fast on millions of stored posts; the
response says how much was read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from groundswell.core.clock import to_utc
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.schemas import SubjectRef
from groundswell.listening.alerts.models import Alert
from groundswell.listening.drilldown import queries as q
from groundswell.listening.drilldown.clusters import describe
from groundswell.listening.drilldown.keyness import KeyTerm, count_terms, emerging, post_terms
from groundswell.listening.drilldown.samples import Candidate, mmr, pick_candidates, relevance
from groundswell.listening.drilldown.schemas import (
    AuthorRead,
    ClusterRead,
    CooccurrenceRead,
    DrilldownRead,
    KeyTermRead,
    MixRead,
    SamplePostRead,
    SamplingRead,
    VolumeRead,
    WindowRead,
)
from groundswell.listening.drilldown.summary import summarise
from groundswell.listening.drilldown.vectors import Embedder, default_embedder, vectors_for
from groundswell.listening.models import ALL_POSTS, Subject

MAX_RANGE = timedelta(days=7)
DEFAULT_BASELINE = timedelta(hours=24)
ALERT_TAIL = timedelta(minutes=5)
"""An alert's window runs this long past its last anomalous minute (or to its resolution)."""
FOCUS_CAP = 2000
BASELINE_CAP = 2000
MIN_BASELINE = 300
"""Fewer baseline posts than this: widen the baseline to 7 days, then to all posts."""
RECENT = timedelta(hours=3)
RECENT_LABEL = "the preceding 3 hours"
"""The second comparison, when no term stands out against the baseline: what changed
since just before, for a surge whose words the long baseline already holds. A caller
reading a calendar period (the digest's day or week) turns it off: a day's words
against the evening before it say nothing."""
CANDIDATES = 200
SAMPLES = 6
AUTHORS = 8
SENTIMENT_ORDER = ("negative", "neutral", "positive")

EmbedderChoice = Embedder | Literal["auto", "none"]


def check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """UTC bounds, refused with the offending field when empty or longer than 7 days."""
    start, end = to_utc(start), to_utc(end)
    if start >= end:
        raise InvalidInputError("end must be after start", field="end")
    if end - start > MAX_RANGE:
        raise InvalidInputError("the range may span at most 7 days", field="end")
    return start, end


def _baseline(start: datetime, end: datetime, baseline: timedelta | None) -> timedelta:
    if baseline is None:
        baseline = max(DEFAULT_BASELINE, end - start)
    if baseline <= timedelta(0) or baseline > MAX_RANGE:
        raise InvalidInputError(
            "the baseline must be between 1 minute and 7 days", field="baseline"
        )
    return baseline


def drilldown(
    session: Session,
    *,
    subject_id: int | None,
    start: datetime,
    end: datetime,
    baseline: timedelta | None = None,
    channel: str | None = None,
    embedder: EmbedderChoice = "auto",
    compare_recent: bool = True,
) -> DrilldownRead:
    """Everything the drill-down page shows for ``start``..``end`` (end excluded).

    ``compare_recent``: when no term stands out against the baseline, compare with the
    three hours before ``start`` (``RECENT``) and say so.
    """
    start, end = check_range(start, end)
    base_start = start - _baseline(start, end, baseline)
    subject = None
    if subject_id is not None:
        row = session.get(Subject, subject_id)
        if row is None:
            raise NotFoundError("subject", subject_id)
        subject = SubjectRef(id=row.id, name=row.name)
        own_terms = _own_terms(row.name, row.query)
    else:
        own_terms = frozenset()
    channel_id = None
    if channel:
        channel_id = q.channel_id(session, channel)
        if channel_id is None:
            raise InvalidInputError(f"unknown channel {channel!r}", field="channel")
    scope = q.Scope(subject_id=subject_id, channel_id=channel_id)
    chosen = default_embedder() if embedder == "auto" else None if embedder == "none" else embedder
    builder = _Builder(session, scope, subject, channel, chosen, own_terms)
    return builder.build(
        start, end, base_start, widen=baseline is None, compare_recent=compare_recent
    )


def drilldown_for_alert(
    session: Session, alert_id: int, *, embedder: EmbedderChoice = "auto"
) -> DrilldownRead:
    """The drill-down of an alert's episode: its start to its resolution (or last spike)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError("alert", alert_id)
    end = alert.resolved_at or alert.last_anomaly_at + ALERT_TAIL
    start = max(alert.started_at, end - MAX_RANGE)
    if end - start < timedelta(minutes=1):
        end = start + timedelta(minutes=1)
    subject_id = None if alert.subject_id == ALL_POSTS else alert.subject_id
    result = drilldown(session, subject_id=subject_id, start=start, end=end, embedder=embedder)
    return result.model_copy(update={"alert_id": alert.id})


class _Builder:
    """Holds the lookups one drill-down shares between its sections."""

    def __init__(
        self,
        session: Session,
        scope: q.Scope,
        subject: SubjectRef | None,
        channel: str | None,
        embedder: Embedder | None,
        own_terms: frozenset[str],
    ) -> None:
        self.session = session
        self.scope = scope
        self.subject = subject
        self.channel = channel
        self.embedder = embedder
        self.own_terms = own_terms
        self.channels = q.channels(session)
        self.notes: list[str] = []

    def build(
        self,
        start: datetime,
        end: datetime,
        base_start: datetime,
        *,
        widen: bool,
        compare_recent: bool,
    ) -> DrilldownRead:
        s = self.session
        focus, complete = q.focus_posts(s, self.scope, start, end, cap=FOCUS_CAP)
        base = q.baseline_posts(s, self.scope, base_start, start, cap=BASELINE_CAP)
        if widen and len(base) < MIN_BASELINE and start - MAX_RANGE < base_start:
            base_start = start - MAX_RANGE
            base = q.baseline_posts(s, self.scope, base_start, start, cap=BASELINE_CAP)
        reference = self._reference(base, base_start, start)
        mix = q.mix_counts(s, self.scope, start, end)
        base_mix = q.mix_counts(s, self.scope, base_start, start)
        base_total = sum(q.mix_counts(s, self.scope, base_start, start).values())
        if not mix and focus:
            mix = Counter((r.channel_id, r.sentiment_label or "none") for r in focus)
            base_total = base_total or len(base)
            self.notes.append("No per-minute rollups for this window: counted from the posts.")
        if not complete:
            self.notes.append(
                f"{len(focus):,} of {sum(mix.values()):,} posts were read (a time-stratified "
                "sample) for terms, authors, samples and clusters; counts are exact."
            )
        focus_terms = count_terms(r.text for r in focus)
        key = emerging(focus_terms, count_terms(r.text for r in reference), exclude=self.own_terms)
        comparison = "the baseline"
        if compare_recent and not key.terms and not key.phrases and start - RECENT > base_start:
            recent = q.baseline_posts(s, self.scope, start - RECENT, start, cap=BASELINE_CAP)
            near = emerging(
                focus_terms, count_terms(r.text for r in recent), exclude=self.own_terms
            )
            if near.terms or near.phrases:
                key, comparison = near, RECENT_LABEL
                self.notes.append(
                    f"Nothing stood out against the baseline, so the words are compared with "
                    f"{RECENT_LABEL} ({len(recent):,} posts)."
                )
        candidates = pick_candidates(
            [Candidate(r.id, r.text, r.created_at, r.influence) for r in focus], CANDIDATES
        )
        by_id = {r.id: r for r in focus}
        identity_ids = {r.identity_id for r in focus if r.identity_id is not None}
        people = q.authors(s, sorted(identity_ids))
        samples, clusters, method = self._samples_and_clusters(candidates, by_id, people)
        result = DrilldownRead(
            subject=self.subject,
            channel=self.channel,
            volume=_volume(
                start,
                end,
                base_start,
                sum(mix.values()),
                base_total,
                q.hours_with_data(s, base_start, start),
            ),
            sampling=SamplingRead(
                focus_read=len(focus),
                focus_complete=complete,
                baseline_read=len(base),
                candidates=len(candidates),
            ),
            summary="",
            terms=[_term(k) for k in key.terms],
            phrases=[_term(k) for k in key.phrases],
            sentiment=_sentiment_mix(mix, base_mix),
            channels=self._channel_mix(mix, base_mix),
            authors=_top_authors(focus, people),
            samples=samples,
            clusters=clusters,
            cluster_method=method,
            cooccurring=self._cooccurring(focus, base),
            notes=self.notes,
            comparison=comparison,
        )
        return result.model_copy(update={"summary": summarise(result)})

    def _reference(
        self, base: list[q.PostRow], base_start: datetime, start: datetime
    ) -> list[q.PostRow]:
        """The baseline posts terms are compared with: the subject's own, if there are enough.

        A quiet subject's baseline is too small for keyness to find anything, so it is
        compared with everything said in the same baseline period instead (a reference
        corpus, as corpus linguistics does), and the note says so.
        """
        if len(base) >= MIN_BASELINE or self.scope.subject_id is None:
            return base
        everyone = q.Scope(subject_id=None, channel_id=self.scope.channel_id)
        ref = q.baseline_posts(self.session, everyone, base_start, start, cap=BASELINE_CAP)
        if len(ref) <= len(base):
            return base
        self.notes.append(
            f"The subject's baseline holds only {len(base)} posts, so its words are compared "
            "with all posts of the baseline period."
        )
        return ref

    def _post(self, row: q.PostRow, people: dict[int, q.Author]) -> SamplePostRead:
        author = people.get(row.identity_id) if row.identity_id is not None else None
        return SamplePostRead(
            id=row.id,
            text=row.text,
            private=row.private,
            created_at=row.created_at,
            channel_key=self.channels.get(row.channel_id, ("?", "?"))[0],
            author_handle=author.handle if author else None,
            contact_id=row.contact_id,
            sentiment_label=row.sentiment_label,
            sentiment_score=row.sentiment_score,
            influence=row.influence,
        )

    def _samples_and_clusters(
        self,
        candidates: Sequence[Candidate],
        by_id: dict[int, q.PostRow],
        people: dict[int, q.Author],
    ) -> tuple[list[SamplePostRead], list[ClusterRead], Literal["embeddings", "terms"]]:
        ids = [c.id for c in candidates]
        texts = [c.text for c in candidates]
        vectors = vectors_for(ids, texts, embedder=self.embedder)
        if vectors.note and candidates:
            self.notes.append(f"Clusters use term vectors: {vectors.note}.")
        picks = mmr(
            vectors.matrix, relevance(vectors.matrix, [c.influence for c in candidates]), SAMPLES
        )
        samples = [self._post(by_id[ids[k]], people) for k in picks]
        clusters = [
            ClusterRead(
                size=len(g.members),
                share=len(g.members) / len(candidates),
                terms=g.terms,
                examples=[self._post(by_id[ids[k]], people) for k in g.members[:3]],
            )
            for g in describe(texts, vectors.matrix, vectors.method)
        ]
        return samples, clusters, vectors.method

    def _channel_mix(
        self, mix: Counter[tuple[int, str]], base_mix: Counter[tuple[int, str]]
    ) -> list[MixRead]:
        per = _by(mix, 0)
        usual = _shares(_by(base_mix, 0))
        total = sum(per.values()) or 1
        out = []
        for channel_id, n in per.most_common():
            key, name = self.channels.get(channel_id, (str(channel_id), str(channel_id)))
            out.append(
                MixRead(
                    key=key,
                    label=name,
                    count=n,
                    share=n / total,
                    baseline_share=None if usual is None else usual.get(channel_id, 0.0),
                )
            )
        return out

    def _cooccurring(
        self, focus: Sequence[q.PostRow], base: Sequence[q.PostRow]
    ) -> list[CooccurrenceRead]:
        in_focus = q.subject_links(self.session, [r.id for r in focus])
        in_base = q.subject_links(self.session, [r.id for r in base])
        in_focus.pop(self.scope.subject_id or -1, None)
        top = [sid for sid, _ in in_focus.most_common(8)]
        names = q.subject_names(self.session, top)
        out = []
        for sid in top:
            if sid not in names:
                continue
            f_share = in_focus[sid] / len(focus)
            b_share = in_base.get(sid, 0) / len(base) if base else 0.0
            out.append(
                CooccurrenceRead(
                    subject=SubjectRef(id=sid, name=names[sid]),
                    focus_count=in_focus[sid],
                    focus_share=f_share,
                    baseline_share=b_share,
                    lift=round(f_share / b_share, 2) if b_share else None,
                )
            )
        return out


def _own_terms(name: str, query: str) -> frozenset[str]:
    """The subject's own name and query words: every focus post holds some, so none is news."""
    words, phrases = post_terms(f"{name}. {query}")
    handles = {w for w in words if w[0] in "#@"}
    return frozenset(words | phrases | {h[1:] for h in handles})


def _volume(
    start: datetime,
    end: datetime,
    base_start: datetime,
    posts: int,
    base_posts: int,
    base_hours: float,
) -> VolumeRead:
    """The focus rate against the baseline's rate over its hours with data (pure).

    Averaged over the whole baseline span, a day after the first six hours of collecting
    read as 3.5× "its usual level"; over the hours the store was collecting it reads as
    what it is."""
    focus = WindowRead(start=start, end=end, posts=posts, per_hour=posts / q.hours(start, end))
    baseline = WindowRead(
        start=base_start,
        end=start,
        posts=base_posts,
        per_hour=base_posts / max(base_hours, 1 / 60) if base_hours > 0 else 0.0,
        hours_with_data=round(base_hours, 2),
    )
    ratio = round(focus.per_hour / baseline.per_hour, 2) if baseline.per_hour else None
    return VolumeRead(focus=focus, baseline=baseline, ratio=ratio)


def _term(k: KeyTerm) -> KeyTermRead:
    return KeyTermRead(
        term=k.term,
        kind=k.kind,
        focus_count=k.focus_count,
        baseline_count=k.baseline_count,
        focus_share=k.focus_share,
        baseline_share=k.baseline_share,
        g2=k.g2,
        log_ratio=k.log_ratio,
    )


def _by(mix: Counter[tuple[int, str]], part: int) -> Counter[Any]:
    """Counts per channel id (``part`` 0) or per sentiment label (1)."""
    per: Counter[Any] = Counter()
    for key, n in mix.items():
        per[key[part]] += n
    return per


def _shares(per: Counter[Any]) -> dict[Any, float] | None:
    total = sum(per.values())
    return {k: n / total for k, n in per.items()} if total else None


def _sentiment_mix(
    mix: Counter[tuple[int, str]], base_mix: Counter[tuple[int, str]]
) -> list[MixRead]:
    per = _by(mix, 1)
    usual = _shares(_by(base_mix, 1))
    total = sum(per.values()) or 1
    order = [*SENTIMENT_ORDER, *sorted(set(per) - set(SENTIMENT_ORDER))]
    return [
        MixRead(
            key=label,
            label=label,
            count=per[label],
            share=per[label] / total,
            baseline_share=None if usual is None else usual.get(label, 0.0),
        )
        for label in order
        if per[label]
    ]


def _top_authors(focus: Sequence[q.PostRow], people: dict[int, q.Author]) -> list[AuthorRead]:
    posts: Counter[int] = Counter()
    influence: dict[int, float] = defaultdict(float)
    for r in focus:
        if r.identity_id is None:
            continue
        posts[r.identity_id] += 1
        influence[r.identity_id] = max(influence[r.identity_id], r.influence)
    ranked = sorted(posts, key=lambda i: (-influence[i], -posts[i], i))
    out = []
    for identity_id in ranked:
        a = people.get(identity_id)
        if a is None or a.is_brand:
            continue
        out.append(
            AuthorRead(
                identity_id=a.id,
                handle=a.handle,
                display_name=a.display_name,
                platform=a.platform,
                followers=a.followers,
                verified=a.verified,
                contact_id=a.contact_id,
                posts=posts[identity_id],
                influence=influence[identity_id],
            )
        )
        if len(out) >= AUTHORS:
            break
    return out
