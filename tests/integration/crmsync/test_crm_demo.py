"""The demo connects both CRM stand-ins, syncs, and leaves a conflict for the page."""

from __future__ import annotations

from sqlalchemy import select

from crm_sync_world import make_customer
from groundswell.app import create_app
from groundswell.core.db import Database
from groundswell.crm.models import Account, Contact
from groundswell.crmsync.conflicts import list_conflicts
from groundswell.crmsync.models import CrmConnection
from groundswell.demo.crm_demo import HS_NAME, SF_NAME, DemoCrm
from gs_testing import make_settings


def test_demo_crms_sync_and_stage_a_conflict(database_url: str) -> None:
    settings = make_settings(database_url, outbound_allow_hosts="127.0.0.1")
    app = create_app(settings, embedded_worker=False)
    db: Database = app.state.db
    first = make_customer(db)
    second = make_customer(db, n=2, name="Bo Lind")
    demo = DemoCrm(app, wait_s=0.1)
    demo.start()
    try:
        assert demo.staged.wait(60)
        with db.session() as s:
            names = set(s.scalars(select(CrmConnection.name)))
            assert names == {SF_NAME, HS_NAME}
            (conflict,) = list_conflicts(s)
            assert (conflict.contact_id, conflict.field) == (first.contact_id, "phone")
            assert conflict.remote_value == "+44 20 7946 0100"
            contact = s.get(Contact, second.contact_id)
            assert contact is not None
            company = s.scalar(select(Account.name).where(Account.id == contact.account_id))
            assert company == "Acme Travel Ltd"
        assert len(demo.salesforce.records["Case"]) == 2
        assert len(demo.hubspot.objects["tickets"]) == 2
    finally:
        demo.stop()
        db.dispose()

    # A second start (the next `make run`) connects the fresh stand-ins again.
    app = create_app(settings, embedded_worker=False)
    again = DemoCrm(app, wait_s=0.1)
    again.start()
    try:
        assert again.staged.wait(60)
        assert len(again.salesforce.records["Contact"]) == 2
    finally:
        again.stop()
        app.state.db.dispose()
