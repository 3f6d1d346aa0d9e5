"""A customer with a case and two posts, and the CRM stand-ins connected to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.crm.models import Account, Contact, Conversation, Identity, Interaction
from groundswell.crmsync import service
from groundswell.crmsync.schemas import ConnectionIn
from groundswell.demo.crm_standins import HubSpotStandin, SalesforceStandin
from groundswell.engagement.models import Case, CaseConversation
from groundswell.settings import Settings

LOCAL = OutboundPolicy.from_setting("127.0.0.1")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@dataclass
class World:
    contact_id: int
    case_id: int
    interaction_ids: list[int]


def make_customer(db: Database, *, n: int = 1, name: str = "Ana Costa") -> World:
    """A contact with an identity, a two-post conversation and a case about it."""
    with db.session() as s:
        channel = s.query(Channel).filter_by(key="twitter").one_or_none()
        if channel is None:
            channel = Channel(key="twitter", name="X")
            s.add(channel)
            s.flush()
        account = Account(name="Costa Lda")
        s.add(account)
        s.flush()
        contact = Contact(
            display_name=name,
            email=f"ana{n}@example.com",
            phone="+351910000001",
            account_id=account.id,
            created_at=T0,
            updated_at=T0,
        )
        s.add(contact)
        s.flush()
        s.add(
            Identity(
                platform="twitter", external_id=f"u{n}", handle=f"ana{n}", contact_id=contact.id
            )
        )
        conv = Conversation(
            channel_id=channel.id,
            root_external_id=f"p{n}-1",
            contact_id=contact.id,
            started_at=T0,
            last_activity_at=T0,
        )
        s.add(conv)
        s.flush()
        ids = []
        for i, text in enumerate(["my bag never made it to Lisbon", "still waiting, any news?"]):
            post = Interaction(
                channel_id=channel.id,
                external_id=f"p{n}-{i + 1}",
                direction="in",
                contact_id=contact.id,
                conversation_id=conv.id,
                text=text,
                created_at=T0 + timedelta(minutes=i),
                sentiment_score=-0.6,
                sentiment_label="negative",
            )
            s.add(post)
            s.flush()
            ids.append(post.id)
        case = Case(
            contact_id=contact.id,
            subject="my bag never made it to Lisbon",
            channel="twitter",
            status="open",
            priority_label="high",
            sentiment_score=-0.6,
        )
        s.add(case)
        s.flush()
        s.add(CaseConversation(case_id=case.id, conversation_id=conv.id))
        return World(contact_id=contact.id, case_id=case.id, interaction_ids=ids)


def connect_salesforce(db: Database, settings: Settings, sf: SalesforceStandin) -> int:
    with db.session() as s:
        return service.create_connection(
            s,
            settings=settings,
            policy=LOCAL,
            data=ConnectionIn(
                name="Salesforce",
                system="salesforce",
                base_url=sf.url,
                client_id=sf.client_id,
                client_secret=sf.client_secret,
            ),
        ).id


def connect_hubspot(db: Database, settings: Settings, hs: HubSpotStandin) -> int:
    with db.session() as s:
        return service.create_connection(
            s,
            settings=settings,
            policy=LOCAL,
            data=ConnectionIn(
                name="HubSpot", system="hubspot", base_url=hs.url, access_token=hs.token
            ),
        ).id
