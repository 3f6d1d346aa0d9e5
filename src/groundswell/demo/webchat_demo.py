"""The demo's web chat: a ``webchat`` channel, and a rule that gives every chat a case.

``make run`` connects it next to the other demo channels; ``/demo/site`` (a made-up
airline's page) embeds the widget with the one tag, so a visitor's messages reach the
inbox and the agent's answer reaches the visitor's page. Nothing is faked: the widget,
the public endpoints, the pipeline and the reply sender are the product's own.
"""

from __future__ import annotations

from sqlalchemy import select

from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn
from groundswell.core.db import Database
from groundswell.engagement.config_models import Rule
from groundswell.engagement.models import Queue
from groundswell.settings import Settings

KEY = "webchat"
RULE = "Web chats → Care"
GREETING = "Hi, this is Acme Air. Ask us anything: a person answers here."


def ensure_webchat(db: Database, settings: Settings) -> None:
    with db.session() as session:
        try:
            service.get_account(session, key=KEY)
        except service.AccountNotFound:
            service.create_account(
                session,
                settings=settings,
                data=AccountIn(
                    kind="webchat",
                    key=KEY,
                    name="Web chat (demo site)",
                    settings={"greeting": GREETING, "poll_seconds": 2},
                ),
            )
        if session.scalar(select(Rule.id).where(Rule.name == RULE)) is None:
            actions: list[dict[str, object]] = [
                {"type": "open_case"},
                {"type": "tag", "tag": "chat"},
            ]
            queue = session.scalar(select(Queue.id).where(Queue.name == "Care"))
            if queue is not None:
                actions.insert(1, {"type": "assign_queue", "queue_id": queue})
            session.add(
                Rule(
                    name=RULE,
                    position=5,
                    stop=False,
                    active=True,
                    conditions={"channels": [KEY]},
                    actions=actions,
                )
            )
