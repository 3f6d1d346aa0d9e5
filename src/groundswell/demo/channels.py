"""The demo's X channel: a local stand-in server and the real X connector pointed at it.

``make run`` starts the stand-in on a free loopback port, connects (or re-points) the
``twitter`` channel to it with a fresh token, and has customers mention the brand there
every few seconds, using real tweets from the demo sample. The connector runner reads
them like it would read X; replies from the inbox go to the stand-in, and the channels
page labels the channel "local stand-in". Nothing leaves the machine.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Sequence
from itertools import cycle
from typing import Any

from fastapi import FastAPI

from groundswell.channels.runtime import service
from groundswell.channels.runtime.schemas import AccountIn, AccountUpdate
from groundswell.channels.x.standin import StandInServer, StandInState
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.demo.setup import split_sample
from groundswell.demo.webchat_demo import ensure_webchat
from groundswell.ingestion.schemas import InboundPost
from groundswell.settings import Settings

log = logging.getLogger(__name__)

KEY = "twitter"
MENTION_EVERY = 15.0
"""Seconds between the stand-in's customer mentions (the replay brings the volume)."""


def connect_standin(db: Database, settings: Settings, server: StandInServer) -> None:
    """Create the demo's X channel, or point an existing one at this run's stand-in."""
    state = server.state
    values = {
        "user_id": state.account_id,
        "username": state.account_username,
        "base_url": server.base_url,
        "access_token": state.token,
        "mentions": True,
        "mentions_poll_seconds": 5,
        "stream": True,
        "stream_backfill_minutes": 5,
        "direct_messages": True,
        "dms_poll_seconds": 5,
        "standin": True,
    }
    with db.session() as session:
        try:
            service.get_account(session, key=KEY)
        except service.AccountNotFound:
            service.create_account(
                session,
                settings=settings,
                data=AccountIn(
                    kind="x",
                    key=KEY,
                    name="X (local stand-in)",
                    settings=values,
                ),
            )
            return
        service.update_account(
            session, settings=settings, key=KEY, data=AccountUpdate(settings=values)
        )


def connect_account(
    db: Database, settings: Settings, *, kind: str, key: str, name: str, values: dict[str, Any]
) -> None:
    """Create the demo's ``key`` channel of ``kind``, or point an existing one at this run's
    stand-in (each run starts its stand-ins on fresh ports).

    The stand-ins listen on 127.0.0.1, which the outbound guard refuses unless an admin
    allowed it: the demo saves them as an admin who allowed it would, and a source whose
    URL the running settings refuse reports the guard's refusal (``make run`` allows it).
    """
    policy = OutboundPolicy.from_setting("127.0.0.1")
    with db.session() as session:
        try:
            service.get_account(session, key=key)
        except service.AccountNotFound:
            service.create_account(
                session,
                settings=settings,
                data=AccountIn(kind=kind, key=key, name=name, settings=values),
                policy=policy,
            )
            return
        service.update_account(
            session,
            settings=settings,
            key=key,
            data=AccountUpdate(settings=values),
            policy=policy,
        )


def customer_mentions(posts: Sequence[InboundPost]) -> list[InboundPost]:
    """The replay's customer posts addressed to someone, to re-send as mentions of the demo.

    The sample holds the brands' own replies too (``direction`` "out", by accounts such as
    a company's care team); sent as mentions they would reach the inbox as customers'
    posts and make each brand account a contact. Their authors are left out altogether.
    """
    brands = {p.author.external_id for p in posts if p.direction == "out"}
    return [
        p
        for p in posts
        if p.direction == "in"
        and p.author.external_id not in brands
        and p.text.lstrip().startswith("@")
    ]


class DemoChannels:
    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.stop = threading.Event()
        token = secrets.token_urlsafe(24)
        self.server = StandInServer(StandInState(token=token))
        self.thread = threading.Thread(target=self._run, name="demo-channels", daemon=True)

    def start(self) -> None:
        self.server.start()
        connect_standin(self.app.state.db, self.app.state.settings, self.server)
        ensure_webchat(self.app.state.db, self.app.state.settings)
        self.app.state.x_standin = self.server
        log.info("X stand-in for the demo at %s", self.server.base_url)
        self.thread.start()

    def _run(self) -> None:
        posts = customer_mentions(split_sample().live)
        if not posts:
            return
        state = self.server.state
        for n, post in enumerate(cycle(posts)):
            if self.stop.wait(MENTION_EVERY):
                return
            handle = post.author.handle or post.author.external_id
            text = f"@{state.account_username} {post.text}"[:280]
            user_id = str(900_000 + (abs(hash(handle)) % 100_000))
            state.mention(user_id, handle[:50], text)
            if n % 3 == 0:  # and now and then a post the stream's rules let through
                state.push_stream(user_id, handle[:50], post.text[:280])
            if n % 5 == 4:  # and a direct message
                state.direct_message(user_id, handle[:50], post.text[:280])

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.server.stop()
