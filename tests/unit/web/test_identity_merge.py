"""Identity matching, the review queue, merge and unmerge (exact restore), conflicts."""

from __future__ import annotations

from typing import Any

import pytest
from gs_webtest import Factory
from sqlalchemy import select

from groundswell.core.db import Database
from groundswell.core.errors import InvalidInputError
from groundswell.crm.clv.models import Transaction
from groundswell.crm.matching.merge import MergeConflictError, merge_contacts, merge_log, unmerge
from groundswell.crm.matching.models import MatchCandidate
from groundswell.crm.matching.service import (
    confirm_candidate,
    match_pending,
    reject_candidate,
    rerun_all,
    review_queue,
)
from groundswell.crm.models import Contact, ContactKey, Conversation, Identity, Interaction

AUTO, REVIEW = 0.99, 0.5


def _state(db: Database) -> dict[str, Any]:
    """Every contact reference in the tables a merge touches."""
    with db.session() as s:
        return {
            "contacts": sorted(
                s.execute(
                    select(Contact.id, Contact.display_name, Contact.email, Contact.merged_into_id)
                ).all()
            ),
            "identities": sorted(s.execute(select(Identity.id, Identity.contact_id)).all()),
            "keys": sorted(s.execute(select(ContactKey.id, ContactKey.contact_id)).all()),
            "interactions": sorted(s.execute(select(Interaction.id, Interaction.contact_id)).all()),
            "conversations": sorted(
                s.execute(select(Conversation.id, Conversation.contact_id)).all()
            ),
            "transactions": sorted(s.execute(select(Transaction.id, Transaction.contact_id)).all()),
        }


def _jane(factory: Factory) -> dict[str, int]:
    tw = factory.channel("twitter")
    ma = factory.channel("mastodon")
    em = factory.channel("email")
    a = factory.contact("Jane Doe")
    b = factory.contact("Jane Doe")
    c = factory.contact("Jane Doe", email="jane.doe@example.com")
    factory.key(c, "email", "jane.doe@example.com")
    ia = factory.identity("twitter", "@janedoe", a)
    ib = factory.identity(
        "mastodon", "jane@mastodon.social", b, profile_url="https://mastodon.social/@jane"
    )
    ic = factory.identity("email", "jane.doe@example.com", c)
    thread = factory.conversation(tw, "t-1", a)
    factory.post(tw, "my order is late", identity_id=ia, contact_id=a, conversation_id=thread)
    factory.post(ma, "still late", identity_id=ib, contact_id=b)
    factory.post(em, "where is my order", identity_id=ic, contact_id=c)
    stranger = factory.contact("Bob Smith")
    factory.identity("twitter", "@bobsmith", stranger)
    return {"a": a, "b": b, "c": c, "stranger": stranger}


def test_matcher_queues_and_merges_with_evidence(factory: Factory, db: Database) -> None:
    people = _jane(factory)
    with db.session() as s:
        report = match_pending(s, auto_threshold=AUTO, review_threshold=REVIEW)
    assert report.contacts == 4
    with db.session() as s:
        pairs = {
            (r.left_contact_id, r.right_contact_id): r for r in s.scalars(select(MatchCandidate))
        }
    # Twitter @janedoe and jane.doe@example.com: same handle as the email's local part.
    ac = pairs[(people["a"], people["c"])]
    assert ac.status == "merged" and ac.probability >= AUTO
    handle = next(e for e in ac.evidence if e["field"] == "handle / email")
    assert handle["agrees"] and handle["detail"] == "janedoe" and handle["weight"] > 0
    # Same name on Mastodon, different handle: probable, for a person to decide.
    ab = pairs[(people["a"], people["b"])]
    assert ab.status == "pending" and REVIEW <= ab.probability < AUTO
    assert all(people["stranger"] not in p for p in pairs)
    with db.session() as s:
        queue = review_queue(s)
        assert [q.id for q in queue] == [ab.id]
        assert queue[0].left_handles and queue[0].right_handles
        # Running again files nothing new and keeps decisions.
        again = rerun_all(s, auto_threshold=AUTO, review_threshold=REVIEW)
    assert again.merged == 0


def test_not_the_same_person_is_remembered(factory: Factory, db: Database) -> None:
    people = _jane(factory)
    with db.session() as s:
        match_pending(s, auto_threshold=AUTO, review_threshold=REVIEW)
        pending = review_queue(s)[0]
        reject_candidate(s, candidate_id=pending.id, actor="user:ana@example.com")
    with db.session() as s:
        rerun_all(s, auto_threshold=AUTO, review_threshold=REVIEW)
        assert review_queue(s) == []
        row = s.get(MatchCandidate, pending.id)
        assert row is not None and row.status == "rejected"
        with pytest.raises(InvalidInputError):
            confirm_candidate(s, candidate_id=pending.id, actor="user:x")
    assert people


def test_unmerge_restores_each_step_exactly(factory: Factory, db: Database) -> None:
    people = _jane(factory)
    before = _state(db)
    with db.session() as s:
        first = merge_contacts(
            s, kept_id=people["a"], merged_id=people["b"], actor="user:ana", reason="test"
        )
    middle = _state(db)
    with db.session() as s:
        second = merge_contacts(
            s, kept_id=people["a"], merged_id=people["c"], actor="user:ana", reason="test"
        )
    with db.session() as s:
        a_rows = s.scalars(select(Interaction.contact_id)).all()
        assert set(a_rows) == {people["a"]}
        filled = s.get(Contact, people["a"])
        assert filled is not None and filled.email == "jane.doe@example.com"
        assert second.moved["identities"] == 1 and second.moved["contact_keys"] == 1
    # Undo the later merge first: back to the state after the first merge.
    with db.session() as s:
        unmerge(s, event_id=second.id, actor="user:ana")
    assert _state(db) == middle
    with db.session() as s:
        unmerge(s, event_id=first.id, actor="user:ana")
    assert _state(db) == before
    with db.session() as s:
        log = merge_log(s, contact_id=people["a"])
        assert [e.id for e in log] == [second.id, first.id]
        assert all(e.undone_by == "user:ana" for e in log)
        with pytest.raises(MergeConflictError):
            unmerge(s, event_id=first.id, actor="user:ana")


def test_unmerge_out_of_order_restores_too(factory: Factory, db: Database) -> None:
    people = _jane(factory)
    before = _state(db)
    with db.session() as s:
        first = merge_contacts(s, kept_id=people["a"], merged_id=people["b"], actor="x", reason="t")
        second = merge_contacts(
            s, kept_id=people["a"], merged_id=people["c"], actor="x", reason="t"
        )
    with db.session() as s:
        unmerge(s, event_id=first.id, actor="x")
        unmerge(s, event_id=second.id, actor="x")
    assert _state(db) == before


def test_concurrent_merge_one_wins_the_other_fails_cleanly(factory: Factory, db: Database) -> None:
    people = _jane(factory)
    # The loser has read the contacts before the winner commits.
    with db.session() as s1, db.session() as s2:
        s2.get(Contact, people["b"])
        merge_contacts(s1, kept_id=people["a"], merged_id=people["b"], actor="one", reason="t")
        s1.commit()
        with pytest.raises(MergeConflictError):
            merge_contacts(s2, kept_id=people["c"], merged_id=people["b"], actor="two", reason="t")
        s2.rollback()
    with db.session() as s:
        b = s.get(Contact, people["b"])
        assert b is not None and b.merged_into_id == people["a"]
        assert len(merge_log(s)) == 1


def test_the_worker_matches_contacts_as_they_arrive(factory: Factory, db: Database) -> None:
    """The embedded worker's customer-record loop runs the same matcher, round by round."""
    from groundswell.workers.crm_loop import CrmLoop

    people = _jane(factory)
    loop = CrmLoop(db.settings, db)
    first = loop.match_once()
    assert first.contacts == 4 and first.merged >= 1
    loop.match_once()  # the contact a merge kept is matched once more, with its new keys
    assert loop.match_once().contacts == 0  # nothing new arrived: nothing re-read
    with db.session() as s:
        merged = s.get(Contact, people["a"]), s.get(Contact, people["c"])
        assert any(c is not None and c.merged_into_id is not None for c in merged)


def test_the_worker_matches_a_backlog_in_short_batches(factory: Factory, db: Database) -> None:
    """Each round holds the write lock for one batch; a full batch is followed at once by
    the next, a partial one by the whole interval."""
    from groundswell.workers.crm_loop import BETWEEN_BATCHES_S, CrmLoop

    _jane(factory)
    loop = CrmLoop(db.settings, db, match_every_s=5.0, match_batch=3)
    first = loop.match_once()
    assert first.contacts == 3
    assert loop.next_wait(first) == BETWEEN_BATCHES_S
    second = loop.match_once()
    assert 1 <= second.contacts < 3  # the fourth, and contacts a merge changed
    assert loop.next_wait(second) == 5.0
