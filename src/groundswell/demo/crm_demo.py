"""The demo's CRMs: Salesforce and HubSpot stand-ins connected for CRM sync.

``make run`` starts both stand-ins on free loopback ports and connects them as an admin
would on the CRM sync page (the Makefile allows ``127.0.0.1`` for outbound requests, as
an admin would with ``GROUNDSWELL_OUTBOUND_ALLOW_HOSTS``). The stand-ins keep their
records in memory, so each run connects them afresh: the previous run's links pointed at
records that no longer exist. Once the first cases arrive, the demo syncs, then plays a
CRM user: in Salesforce a customer's phone is changed while an agent changes the same
phone in Groundswell (a conflict for the page), and in HubSpot a company is set (it flows
back into the contact). The worker inside ``serve`` keeps syncing from then on.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from groundswell.core.clock import utcnow
from groundswell.core.db import Database
from groundswell.core.outbound import OutboundPolicy
from groundswell.crm.models import Contact
from groundswell.crmsync import service
from groundswell.crmsync.engine import SyncRunner
from groundswell.crmsync.models import CrmConnection, CrmLink
from groundswell.crmsync.schemas import ConnectionIn
from groundswell.demo.crm_standins import HubSpotStandin, SalesforceStandin
from groundswell.engagement.models import Case
from groundswell.settings import Settings

log = logging.getLogger(__name__)

SF_NAME = "Salesforce (local stand-in)"
HS_NAME = "HubSpot (local stand-in)"


class DemoCrm:
    def __init__(self, app: FastAPI, *, wait_s: float = 3.0) -> None:
        self.app = app
        self.wait_s = wait_s
        self.salesforce = SalesforceStandin()
        self.hubspot = HubSpotStandin()
        self.stop_event = threading.Event()
        self.staged = threading.Event()
        self.thread = threading.Thread(target=self._run, name="groundswell-demo-crm", daemon=True)

    @property
    def db(self) -> Database:
        db: Database = self.app.state.db
        return db

    @property
    def settings(self) -> Settings:
        settings: Settings = self.app.state.settings
        return settings

    def start(self) -> None:
        self.salesforce.start()
        self.hubspot.start()
        policy = OutboundPolicy.from_setting("127.0.0.1")
        if (
            "127.0.0.1"
            not in OutboundPolicy.from_setting(self.settings.outbound_allow_hosts).allow_hosts
        ):
            log.warning(
                "CRM stand-ins run on 127.0.0.1, which GROUNDSWELL_OUTBOUND_ALLOW_HOSTS does "
                "not allow: CRM sync will report the outbound guard's refusal"
            )
        with self.db.session() as session:
            for old in session.scalars(
                select(CrmConnection).where(CrmConnection.name.in_([SF_NAME, HS_NAME]))
            ):
                session.delete(old)
            session.flush()
            for data in self.connections():
                service.create_connection(
                    session, settings=self.settings, policy=policy, data=data, standin=True
                )
        self.thread.start()

    def connections(self) -> list[ConnectionIn]:
        return [
            ConnectionIn(
                name=SF_NAME,
                system="salesforce",
                base_url=self.salesforce.url,
                client_id=self.salesforce.client_id,
                client_secret=self.salesforce.client_secret,
            ),
            ConnectionIn(
                name=HS_NAME,
                system="hubspot",
                base_url=self.hubspot.url,
                access_token=self.hubspot.token,
            ),
        ]

    def _has_cases(self) -> bool:
        with self.db.session() as session:
            found = session.scalar(select(Case.id).where(Case.contact_id.is_not(None)).limit(1))
        return found is not None

    def _linked_contacts(self, name: str) -> list[tuple[int, str]]:
        with self.db.session() as session:
            rows = session.execute(
                select(CrmLink.local_id, CrmLink.remote_id)
                .join(CrmConnection, CrmConnection.id == CrmLink.connection_id)
                .where(CrmConnection.name == name, CrmLink.local_kind == "contact")
                .order_by(CrmLink.local_id)
                .limit(2)
            ).all()
        return [(int(a), str(b)) for a, b in rows]

    def stage(self) -> dict[str, Any]:
        """Sync, then change records on both sides as people would; sync again."""
        runner = SyncRunner(self.settings, self.db)
        runner.run_all(force=True)
        staged: dict[str, Any] = {}
        sf_contacts = self._linked_contacts(SF_NAME)
        if sf_contacts:
            contact_id, remote_id = sf_contacts[0]
            self.salesforce.edit("Contact", remote_id, Phone="+44 20 7946 0100")
            with self.db.session() as session:
                contact = session.get(Contact, contact_id)
                if contact is not None:
                    contact.phone, contact.updated_at = "+44 20 7946 0999", utcnow()
            staged["conflict_contact"] = contact_id
        hs_contacts = self._linked_contacts(HS_NAME)
        if hs_contacts:
            contact_id, remote_id = hs_contacts[-1]
            self.hubspot.edit(
                "contacts", remote_id, company="Acme Travel Ltd", hubspot_owner_id="4471"
            )
            staged["company_contact"] = contact_id
        reports = runner.run_all(force=True)
        staged["reports"] = [r.model_dump() for r in reports]
        return staged

    def _run(self) -> None:
        while not self.stop_event.is_set() and not self._has_cases():
            self.stop_event.wait(self.wait_s)
        if self.stop_event.is_set():
            return
        try:
            staged = self.stage()
            log.info(
                "demo CRMs synced; conflict staged on contact %s", staged.get("conflict_contact")
            )
        except Exception:  # the demo's CRMs must never stop the app
            log.exception("demo CRM staging failed")
        self.staged.set()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)
        self.salesforce.stop()
        self.hubspot.stop()
