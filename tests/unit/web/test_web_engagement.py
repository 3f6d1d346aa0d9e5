"""Inbox, case, approvals, proactive and CSAT pages rendered, with hostile text escaped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from gs_webtest import PASSWORD, Factory, csrf_from, login
from sqlalchemy import select

from engagement_world import FileNetwork, every_negative_post_opens_a_case, store_post
from groundswell.auth.models import User
from groundswell.channels.registry import ConnectorRegistry
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.engagement.config_models import CannedResponse
from groundswell.engagement.models import Case, CaseEvent
from groundswell.engagement.reply_models import OutboundReply
from groundswell.engagement.rules.service import apply_rules, load_rules
from groundswell.notify.models import Delivery

HOSTILE = '<script>alert("x")</script> my bag is lost, awful'


def world(client: TestClient, db: Database, factory: Factory, tmp_path: Path) -> int:
    registry = ConnectorRegistry()
    registry.register(FileNetwork(tmp_path / "net.jsonl"))
    client.app.state.connectors = registry  # type: ignore[attr-defined]
    factory.user("ann@example.com", role="agent")
    factory.user("ana@example.com", role="analyst")
    with db.session() as s:
        every_negative_post_opens_a_case(s)
        s.add(
            CannedResponse(
                name="Sorry",
                shortcut="sorry",
                body="Hi {{contact.first_name}}, sorry!",
                tags=["apology"],
                resolve=False,
            )
        )
    iid = store_post(db, "t1", "carla", text=HOSTILE, at=utcnow())
    with db.session() as s:
        case = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        assert case is not None
        return case.id


def test_a_handle_that_carries_its_at_sign_is_shown_with_one(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    world(client, db, factory, tmp_path)
    iid = store_post(db, "m1", "@dee@mastodon.example", channel="mastodon", at=utcnow())
    with db.session() as s:
        case = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        assert case is not None
        case_id = case.id
    login(client, "ann@example.com", PASSWORD)
    page = client.get(f"/inbox/cases/{case_id}").text
    assert " @dee@mastodon.example" in page and "@@dee" not in page


def test_inbox_and_case_pages_escape_and_reply(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    case_id = world(client, db, factory, tmp_path)
    login(client, "ann@example.com", PASSWORD)
    inbox = client.get("/inbox")
    assert inbox.status_code == 200
    assert "&lt;script&gt;" in inbox.text and "<script>alert" not in inbox.text
    assert 'href="/inbox"' in inbox.text and f"/inbox/cases/{case_id}" in inbox.text
    assert client.get("/inbox/list?view=mine").status_code == 200

    from groundswell.engagement.sla import check_due

    with db.session() as s:
        assert check_due(s, now=utcnow() + timedelta(days=2)) == (0, 0)  # no SLA policy here
        late = s.get(Case, case_id)
        assert late is not None
        late.next_due_at = utcnow() - timedelta(minutes=1)  # still unanswered, past due
        s.add(
            Delivery(
                alert_id=None,
                event="sla_breached",
                kind="in_app",
                target="",
                payload={"title": "SLA breached: case #1", "case_id": case_id},
            )
        )
    assert "SLA breached: case #1" in client.get("/inbox").text
    assert client.get("/inbox?priority=bogus").status_code == 422
    page = client.get(f"/inbox/cases/{case_id}")
    assert page.status_code == 200
    assert "at most" in page.text and "280" in page.text and "Why is this first" in page.text
    assert "<script>alert" not in page.text
    assert "rule applied" in page.text and "“all negative”" in page.text  # timeline in words
    assert "rule_id:" not in page.text
    with db.session() as s:
        s.add(
            CaseEvent(
                case_id=case_id, at=utcnow(), kind="rule", data={"rule": "<img src=x onerror=f()>"}
            )
        )
    page = client.get(f"/inbox/cases/{case_id}")
    assert "“&lt;img src=x onerror=f()&gt;”" in page.text and "<img src=x" not in page.text
    token = csrf_from(page.text)
    r = client.post(
        f"/inbox/cases/{case_id}/reply",
        data={"csrf_token": token, "text": "x" * 300},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "field: text" in r.text
    r = client.post(
        f"/inbox/cases/{case_id}/reply",
        data={"csrf_token": token, "canned_id": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with db.session() as s:
        reply = s.get(OutboundReply, 1)
        assert reply is not None and reply.text == "Hi Carla, sorry!"
    thread = client.get(f"/inbox/cases/{case_id}/thread")
    assert "queued" in thread.text
    r = client.post(
        f"/inbox/cases/{case_id}/note",
        data={"csrf_token": token, "text": "<b>@ann</b> look"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "&lt;b&gt;@ann&lt;/b&gt; look" in client.get(f"/inbox/cases/{case_id}").text
    r = client.post(
        f"/inbox/cases/{case_id}/status",
        data={"csrf_token": token, "action": "resolve"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with db.session() as s:
        csat = s.query(OutboundReply).filter(OutboundReply.kind == "csat").one()
        link = csat.text.split(": ", 1)[1]
    path = link.split("127.0.0.1:8000", 1)[1]
    client.cookies.clear()
    survey = client.get(path)
    assert survey.status_code == 200 and "How did we do?" in survey.text
    done = client.post(path, data={"score": "5", "comment": "<i>great</i>"})
    assert done.status_code == 200 and "Thank you" in done.text
    again = client.post(path, data={"score": "1"})
    assert again.status_code == 410 and "already answered" in again.text
    assert client.get("/csat/forged-token").status_code == 404


def test_analyst_reads_but_cannot_reply(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    case_id = world(client, db, factory, tmp_path)
    login(client, "ana@example.com", PASSWORD)
    page = client.get(f"/inbox/cases/{case_id}")
    assert page.status_code == 200 and 'id="composer"' not in page.text
    r = client.post(
        f"/inbox/cases/{case_id}/reply", data={"csrf_token": csrf_from(page.text), "text": "hi"}
    )
    assert r.status_code == 403
    assert client.get("/inbox/approvals").status_code == 200
    assert client.get("/inbox/proactive").status_code == 200
    setup = client.get("/inbox/setup?dry_run=1&last=50")
    assert setup.status_code == 200 and "would have matched 1 of the last 1" in setup.text
    assert client.get("/inbox/cases/99999").status_code == 404


def test_a_mentioned_colleague_is_notified_in_their_inbox(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from groundswell.engagement import cases

    case_id = world(client, db, factory, tmp_path)
    factory.user("bob@example.com", role="agent")
    with db.session() as s:
        ann = s.scalar(select(User.id).where(User.email == "ann@example.com"))
        note = cases.add_note(
            s, case_id=case_id, author_id=ann, text="@bob can you check <b>this</b>?", now=utcnow()
        )
        assert note.mentions and ann not in note.mentions
    login(client, "bob@example.com", PASSWORD)
    inbox = client.get("/inbox").text
    assert f"mentioned you on case #{case_id}" in inbox
    assert f'href="/inbox/cases/{case_id}"' in inbox
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/inbox").text)})
    login(client, "ann@example.com", PASSWORD)
    assert "mentioned you" not in client.get("/inbox").text  # only the one named


def test_a_duplicate_case_of_the_customer_is_merged_from_the_case_page(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    kept = world(client, db, factory, tmp_path)
    iid = store_post(db, "t2", "carla_alt", text="<b>still</b> no bag, awful", at=utcnow())
    with db.session() as s:
        dup = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        assert dup is not None
        dup_id = dup.id
        first = s.get(Case, kept)
        assert first is not None
        dup.contact_id = first.contact_id  # the two contacts were merged
    login(client, "ann@example.com", PASSWORD)
    page = client.get(f"/inbox/cases/{kept}")
    assert "Merge into this case" in page.text
    assert "<b>still</b>" not in page.text  # the other case's subject is escaped
    r = client.post(
        f"/inbox/cases/{kept}/merge",
        data={"csrf_token": csrf_from(page.text), "source_id": str(dup_id)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/inbox/cases/{kept}")
    assert f"case #{dup_id} merged in" in page.text
    # Its messages are on this case now, escaped like everything a customer wrote.
    assert "&lt;b&gt;still&lt;/b&gt; no bag" in page.text and "<b>still</b>" not in page.text
    with db.session() as s:
        gone = s.get(Case, dup_id)
        assert gone is not None and gone.status == "closed"
    bad = client.post(
        f"/inbox/cases/{kept}/merge",
        data={"csrf_token": csrf_from(page.text), "source_id": str(dup_id)},
    )
    assert bad.status_code == 422 and "source_id" in bad.text
    assert (
        client.post(
            f"/inbox/cases/{kept}/merge",
            data={"csrf_token": csrf_from(page.text), "source_id": "abc"},
        ).status_code
        == 422
    )


def test_a_read_only_channel_says_it_takes_no_replies(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    from groundswell.channels.runtime.open_kinds import ReadOnly

    world(client, db, factory, tmp_path)
    client.app.state.connectors.register(ReadOnly("reviews", "a feed"))  # type: ignore[attr-defined]
    iid = store_post(db, "r1", "rita", channel="reviews", at=utcnow())
    with db.session() as s:
        case = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        assert case is not None
        case_id = case.id
    login(client, "ann@example.com", PASSWORD)
    page = client.get(f"/inbox/cases/{case_id}")
    assert 'id="read-only-channel"' in page.text and "takes no replies" in page.text
    assert "at most <strong" not in page.text


def test_a_customer_on_a_read_only_channel_is_answered_through_another_of_theirs(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    """The customer wrote on X, then left a review (read-only): after their cases were
    merged the case's latest channel is the review site, and the composer offers X."""
    from groundswell.channels.runtime.open_kinds import ReadOnly
    from groundswell.engagement.case_merge import merge_into

    kept = world(client, db, factory, tmp_path)
    client.app.state.connectors.register(ReadOnly("reviews", "a feed"))  # type: ignore[attr-defined]
    iid = store_post(db, "r2", "carla_reviews", channel="reviews", at=utcnow())
    with db.session() as s:
        review = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        first = s.get(Case, kept)
        assert review is not None and first is not None
        review.contact_id = first.contact_id
        s.flush()
        merged = merge_into(s, target_id=kept, source_id=review.id, actor_id=None, now=utcnow())
        assert merged.channel == "reviews"
    login(client, "ann@example.com", PASSWORD)
    page = client.get(f"/inbox/cases/{kept}")
    assert 'id="reply-via"' in page.text and '<option value="twitter"' in page.text
    assert '<option value="reviews"' not in page.text
    token = csrf_from(page.text)
    r = client.post(
        f"/inbox/cases/{kept}/reply",
        data={"csrf_token": token, "text": "Sorry, Carla: we are on it.", "via": "twitter"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    with db.session() as s:
        sent = s.scalars(select(OutboundReply).where(OutboundReply.case_id == kept)).one()
        assert sent.channel == "twitter"
    r = client.post(
        f"/inbox/cases/{kept}/reply",
        data={"csrf_token": token, "text": "hi", "via": "mastodon", "force": "1"},
    )
    assert r.status_code == 422 and "via" in r.text
    # Without a choice the case's own channel is used, and it refuses with its reason.
    r = client.post(
        f"/inbox/cases/{kept}/reply", data={"csrf_token": token, "text": "hi", "force": "1"}
    )
    assert r.status_code == 422


def test_the_inbox_notices_keep_to_cases_still_needing_an_answer(
    client: TestClient, db: Database, factory: Factory, tmp_path: Path
) -> None:
    """A warning then a breach of one case show as one line; a breach of a case answered
    since (its next target hours away) is not shown; a mention is."""
    late = world(client, db, factory, tmp_path)
    iid = store_post(db, "t9", "dora", at=utcnow())
    now = utcnow()
    with db.session() as s:
        answered = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=now)
        assert answered is not None
        answered.next_due_at = now + timedelta(hours=3)
        c = s.get(Case, late)
        assert c is not None
        c.next_due_at = now - timedelta(minutes=1)
        ann = s.scalars(select(User).where(User.email == "ann@example.com")).one()
        for event, case_id, title in (
            ("sla_warning", late, f"SLA about to breach: case #{late}"),
            ("sla_breached", answered.id, f"SLA breached: case #{answered.id}"),
            ("sla_breached", late, f"SLA breached: case #{late}"),
        ):
            s.add(
                Delivery(
                    alert_id=None,
                    rule_id=None,
                    event=event,
                    kind="in_app",
                    target="",
                    payload={"title": title, "case_id": case_id},
                )
            )
        s.add(
            Delivery(
                alert_id=None,
                rule_id=None,
                event="mention",
                kind="in_app",
                target=str(ann.id),
                payload={"title": "Bo mentioned you", "case_id": late},
            )
        )
    login(client, "ann@example.com", PASSWORD)
    html = client.get("/inbox").text
    notices = html.split('class="sla-notices"')[1].split("</ul>")[0]
    assert f"SLA breached: case #{late}<" in notices
    assert f"SLA about to breach: case #{late}" not in notices
    assert f"case #{answered.id}<" not in notices
    assert "Bo mentioned you" in notices
