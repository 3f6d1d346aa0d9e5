"""After confirming a pair, the Duplicates page says where the customer went and, when
they now hold several open cases, lists them so the agent can merge those too."""

from __future__ import annotations

from fastapi.testclient import TestClient
from gs_webtest import Factory, login, page_csrf
from sqlalchemy import select

from engagement_world import every_negative_post_opens_a_case, store_post
from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.crm.matching.models import MatchCandidate, MergeEvent
from groundswell.crm.models import Interaction
from groundswell.engagement.rules.service import apply_rules, load_rules


def _case_of_new_customer(db: Database, ext: str, author: str, channel: str) -> tuple[int, int]:
    iid = store_post(db, ext, author, channel=channel, at=utcnow())
    with db.session() as s:
        case = apply_rules(s, interaction_id=iid, ruleset=load_rules(s), now=utcnow())
        row = s.get(Interaction, iid)
        assert case is not None and row is not None and row.contact_id is not None
        return case.id, row.contact_id


def test_the_page_lists_the_merged_customers_open_cases(
    client: TestClient, db: Database, factory: Factory
) -> None:
    factory.user(role="agent")
    with db.session() as s:
        every_negative_post_opens_a_case(s)
    first, left = _case_of_new_customer(db, "m1", "ana_x", "twitter")
    second, right = _case_of_new_customer(db, "m2", "ana_m", "mastodon")
    with db.session() as s:
        pair = MatchCandidate(
            left_contact_id=left, right_contact_id=right, probability=0.9, evidence=[]
        )
        s.add(pair)
        s.flush()
        pair_id = pair.id
    login(client)
    token = page_csrf(client, "/matches")
    done = client.post(f"/matches/{pair_id}/confirm", data={"csrf_token": token})
    assert done.status_code == 200  # followed back to the page
    with db.session() as s:
        kept = s.scalars(select(MergeEvent)).one().kept_contact_id
    notice = done.text.split('id="merged-notice"')[1].split("</p>")[0]
    assert f'href="/contacts/{kept}"' in notice
    assert "2 open cases" in notice
    assert f'href="/inbox/cases/{first}"' in notice and f'href="/inbox/cases/{second}"' in notice
    # Shown once: the next visit has no notice.
    assert 'id="merged-notice"' not in client.get("/matches").text
