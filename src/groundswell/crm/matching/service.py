"""Finding candidate pairs: profiles from the store, blocking by key, scores, the queue.

``match_contacts`` is the incremental step: it (re)writes the given contacts' blocking
keys, looks up the few contacts that share one, scores those pairs and files them —
merged at once above the automatic threshold, queued for review in the band below,
never again once a person said "not the same person". Contacts that were never matched
are found by their missing ``c:<id>`` key, so ``match_pending`` picks up whatever arrived
since the last run; ``rerun_all`` re-matches everyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from groundswell.core.clock import utcnow
from groundswell.core.errors import InvalidInputError, NotFoundError
from groundswell.crm.matching.merge import MergeConflictError, merge_contacts
from groundswell.crm.matching.models import MatchCandidate, MatchKey
from groundswell.crm.matching.schemas import CandidateRead, MatchReport
from groundswell.crm.matching.scoring import Profile, blocking_keys, profile_of, score
from groundswell.crm.models import Contact, ContactKey, Identity, Interaction

MAX_BLOCK = 50
"""A blocking key shared by more contacts than this (a common first name) is ignored."""
CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def load_profiles(session: Session, contact_ids: Iterable[int]) -> dict[int, Profile]:
    """Matching profiles of active (not merged-away) contacts, a constant number of queries."""
    ids = sorted(set(contact_ids))
    fields: dict[int, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    active: list[int] = []
    for part in _chunks(ids):
        for cid, name, email in session.execute(
            select(Contact.id, Contact.display_name, Contact.email).where(
                Contact.id.in_(part), Contact.merged_into_id.is_(None)
            )
        ):
            active.append(cid)
            fields[cid]["names"].append(name)
            fields[cid]["emails"].append(email)
        for owner, platform, handle, display, url, bio, place, zone in session.execute(
            select(
                Identity.contact_id,
                Identity.platform,
                Identity.handle,
                Identity.display_name,
                Identity.profile_url,
                Identity.bio,
                Identity.location,
                Identity.timezone,
            ).where(Identity.contact_id.in_(part), Identity.is_brand.is_(False))
        ):
            if owner is None:
                continue
            f = fields[owner]
            f["platforms"].append(platform)
            f["handles"].append(handle)
            f["names"].append(display)
            f["urls"].append(url)
            f["bios"].append(bio)
            f["locations"].append(place)
            f["timezones"].append(zone)
            if handle and "@" in handle.lstrip("@") and platform == "email":
                f["emails"].append(handle)
        for cid, value in session.execute(
            select(ContactKey.contact_id, ContactKey.value).where(
                ContactKey.contact_id.in_(part), ContactKey.kind == "email"
            )
        ):
            fields[cid]["emails"].append(value)
        for author, language, conversation in session.execute(
            select(Interaction.contact_id, Interaction.language, Interaction.conversation_id)
            .where(Interaction.contact_id.in_(part), Interaction.direction == "in")
            .distinct()
        ):
            if author is None:
                continue
            fields[author]["languages"].append(language)
            if conversation is not None:
                fields[author]["threads"].append(conversation)
    return {
        cid: profile_of(cid, **{k: v for k, v in fields[cid].items()})  # type: ignore[arg-type]
        for cid in active
    }


def _write_keys(session: Session, profiles: dict[int, Profile]) -> dict[int, set[str]]:
    ids = list(profiles)
    for part in _chunks(ids):
        session.execute(delete(MatchKey).where(MatchKey.contact_id.in_(part)))
    keys = {cid: blocking_keys(p) for cid, p in profiles.items()}
    rows = [{"key": k[:200], "contact_id": cid} for cid, ks in keys.items() for k in ks]
    rows += [{"key": f"c:{cid}", "contact_id": cid} for cid in ids]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(MatchKey), rows[start : start + CHUNK])
    return keys


def _neighbours(session: Session, keys: dict[int, set[str]]) -> dict[int, set[int]]:
    wanted = sorted({k for ks in keys.values() for k in ks})
    members: dict[str, list[int]] = defaultdict(list)
    for start in range(0, len(wanted), CHUNK):
        for key, cid in session.execute(
            select(MatchKey.key, MatchKey.contact_id).where(
                MatchKey.key.in_(wanted[start : start + CHUNK])
            )
        ):
            members[key].append(cid)
    out: dict[int, set[int]] = {}
    for cid, ks in keys.items():
        out[cid] = {
            other
            for k in ks
            if len(members[k]) <= MAX_BLOCK
            for other in members[k]
            if other != cid
        }
    return out


def _file_candidate(
    session: Session, left: int, right: int, probability: float, evidence: list[dict[str, object]]
) -> MatchCandidate | None:
    row = session.scalar(
        select(MatchCandidate).where(
            MatchCandidate.left_contact_id == left, MatchCandidate.right_contact_id == right
        )
    )
    if row is None:
        row = MatchCandidate(
            left_contact_id=left,
            right_contact_id=right,
            probability=probability,
            evidence=evidence,
            status="pending",
        )
        session.add(row)
        session.flush()
        return row
    if row.status != "pending":
        return None  # decided: merged, or "not the same person" (remembered)
    row.probability, row.evidence = probability, evidence
    return row


def propose_pair(
    session: Session, a: int, b: int, *, probability: float, evidence: list[dict[str, object]]
) -> MatchCandidate | None:
    """Put two contacts in the review queue (None: already decided, e.g. "not the same")."""
    left, right = sorted((a, b))
    return _file_candidate(session, left, right, probability, evidence)


def match_contacts(
    session: Session,
    *,
    contact_ids: Iterable[int],
    auto_threshold: float,
    review_threshold: float,
) -> MatchReport:
    """Match these contacts against every stored contact sharing a blocking key."""
    profiles = load_profiles(session, contact_ids)
    keys = _write_keys(session, profiles)
    neighbours = _neighbours(session, keys)
    others = load_profiles(session, {o for ns in neighbours.values() for o in ns} - set(profiles))
    others.update(profiles)
    report = MatchReport(contacts=len(profiles))
    seen: set[tuple[int, int]] = set()
    to_merge: list[tuple[int, int, int]] = []
    for cid, ns in neighbours.items():
        report.compared += len(ns)
        for other in ns:
            pair = (min(cid, other), max(cid, other))
            if pair in seen or other not in others:
                continue
            seen.add(pair)
            probability, evidence = score(others[pair[0]], others[pair[1]])
            if probability < review_threshold:
                continue
            candidate = _file_candidate(session, *pair, probability, evidence)
            if candidate is None:
                continue
            report.candidates += 1
            if probability >= auto_threshold:
                to_merge.append((pair[0], pair[1], candidate.id))
    for kept, merged, candidate_id in to_merge:
        try:
            merge_contacts(
                session,
                kept_id=kept,
                merged_id=merged,
                actor="matcher",
                reason="automatic: match probability above the threshold",
                candidate_id=candidate_id,
            )
            report.merged += 1
        except MergeConflictError:
            continue  # one side was merged earlier in this run; the pair stays queued
    return report


def match_pending(
    session: Session, *, auto_threshold: float, review_threshold: float, limit: int = 5000
) -> MatchReport:
    """Match contacts that arrived since the last run (no ``c:<id>`` key yet)."""
    ids = list(
        session.scalars(
            select(Contact.id)
            .where(
                Contact.merged_into_id.is_(None),
                ~exists().where(MatchKey.contact_id == Contact.id),
            )
            .order_by(Contact.id)
            .limit(limit)
        )
    )
    return match_contacts(
        session, contact_ids=ids, auto_threshold=auto_threshold, review_threshold=review_threshold
    )


def rerun_all(session: Session, *, auto_threshold: float, review_threshold: float) -> MatchReport:
    """Re-match every active contact (after a model or threshold change)."""
    ids = list(session.scalars(select(Contact.id).where(Contact.merged_into_id.is_(None))))
    total = MatchReport()
    for part in _chunks(ids):
        step = match_contacts(
            session,
            contact_ids=part,
            auto_threshold=auto_threshold,
            review_threshold=review_threshold,
        )
        total.contacts += step.contacts
        total.compared += step.compared
        total.candidates += step.candidates
        total.merged += step.merged
    return total


def _both_active() -> list[ColumnElement[bool]]:
    """A pending pair whose contact was merged away meanwhile is not for review."""
    merged = select(Contact.id).where(Contact.merged_into_id.is_not(None))
    return [
        MatchCandidate.status == "pending",
        MatchCandidate.left_contact_id.not_in(merged),
        MatchCandidate.right_contact_id.not_in(merged),
    ]


def review_queue(session: Session, *, limit: int = 100, offset: int = 0) -> list[CandidateRead]:
    """Pending pairs, most probable first, with both contacts' names and handles."""
    rows = list(
        session.scalars(
            select(MatchCandidate)
            .where(*_both_active())
            .order_by(MatchCandidate.probability.desc(), MatchCandidate.id)
            .limit(limit)
            .offset(offset)
        )
    )
    return _reads(session, rows)


def count_pending(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(MatchCandidate).where(*_both_active())) or 0
    )


def _reads(session: Session, rows: Sequence[MatchCandidate]) -> list[CandidateRead]:
    ids = {r.left_contact_id for r in rows} | {r.right_contact_id for r in rows}
    names = (
        dict(
            session.execute(
                select(Contact.id, Contact.display_name).where(Contact.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    handles: dict[int, list[str]] = defaultdict(list)
    if ids:
        for owner, platform, handle in session.execute(
            select(Identity.contact_id, Identity.platform, Identity.handle).where(
                Identity.contact_id.in_(ids)
            )
        ):
            if owner is not None:
                handles[owner].append(f"{platform}:{handle}" if handle else platform)
    return [
        CandidateRead(
            id=r.id,
            left_contact_id=r.left_contact_id,
            right_contact_id=r.right_contact_id,
            left_name=names.get(r.left_contact_id),
            right_name=names.get(r.right_contact_id),
            left_handles=handles[r.left_contact_id],
            right_handles=handles[r.right_contact_id],
            probability=r.probability,
            evidence=r.evidence,
            status=r.status,
            created_at=r.created_at,
            decided_at=r.decided_at,
            decided_by=r.decided_by,
        )
        for r in rows
    ]


def reject_candidate(session: Session, *, candidate_id: int, actor: str) -> CandidateRead:
    """ "Not the same person": remembered, so the pair is never proposed again."""
    row = session.get(MatchCandidate, candidate_id)
    if row is None:
        raise NotFoundError("match candidate", candidate_id)
    if row.status != "pending":
        raise InvalidInputError(f"candidate {candidate_id} is already {row.status}", field="status")
    session.execute(
        update(MatchCandidate)
        .where(MatchCandidate.id == candidate_id)
        .values(status="rejected", decided_at=utcnow(), decided_by=actor[:200])
    )
    session.refresh(row)
    return _reads(session, [row])[0]


def confirm_candidate(session: Session, *, candidate_id: int, actor: str) -> int:
    """Merge the pair a person confirmed; returns the merge event id."""
    row = session.get(MatchCandidate, candidate_id)
    if row is None:
        raise NotFoundError("match candidate", candidate_id)
    if row.status != "pending":
        raise InvalidInputError(f"candidate {candidate_id} is already {row.status}", field="status")
    event = merge_contacts(
        session,
        kept_id=row.left_contact_id,
        merged_id=row.right_contact_id,
        actor=actor,
        reason=f"confirmed in review (p={row.probability:.3f})",
        candidate_id=row.id,
    )
    return event.id
