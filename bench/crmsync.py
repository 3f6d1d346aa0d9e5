"""CRM sync throughput against the Salesforce and HubSpot stand-ins, beside their ceiling.

``N`` customers, each a contact with a case and two posts (four records to push), sit in
a fresh SQLite database. For each CRM the bench measures:

- ``first sync``: every record pushed (contacts, cases, activities), records per second;
- ``second sync``: nothing changed, every record found unchanged, records per second;
- ``raw ceiling``: the stand-in's own rate for the same number of its cheapest write
  (one upsert per request, sequential, one keep-alive connection, no database): what a
  sync could reach if Groundswell cost nothing.

The ratio ``first sync requests/s ÷ raw ceiling`` says how much of the time the sync
spends outside the HTTP round trip (reading records, hashing, writing links, one
transaction per record).

Usage: ``python -m bench.crmsync [--customers 200]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.machine import describe
from groundswell.channels.models import Channel
from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.core.outbound import OutboundPolicy
from groundswell.crm.models import Contact, Conversation, Identity, Interaction
from groundswell.crmsync import service
from groundswell.crmsync.engine import SyncRunner
from groundswell.crmsync.schemas import ConnectionIn
from groundswell.demo.crm_standins import HubSpotStandin, SalesforceStandin
from groundswell.engagement.models import Case, CaseConversation
from groundswell.settings import Settings

LOCAL = OutboundPolicy.from_setting("127.0.0.1")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def seed(db: Database, customers: int) -> int:
    with db.session() as s:
        channel = Channel(key="twitter", name="X")
        s.add(channel)
        s.flush()
        for n in range(customers):
            contact = Contact(
                display_name=f"Customer {n} Example",
                email=f"c{n}@example.com",
                phone=f"+3519100{n:05d}",
                created_at=T0,
                updated_at=T0,
            )
            s.add(contact)
            s.flush()
            s.add(
                Identity(
                    platform="twitter", external_id=f"u{n}", handle=f"c{n}", contact_id=contact.id
                )
            )
            conv = Conversation(
                channel_id=channel.id,
                root_external_id=f"p{n}-0",
                contact_id=contact.id,
                started_at=T0,
                last_activity_at=T0,
            )
            s.add(conv)
            s.flush()
            for i in range(2):
                s.add(
                    Interaction(
                        channel_id=channel.id,
                        external_id=f"p{n}-{i}",
                        direction="in",
                        contact_id=contact.id,
                        conversation_id=conv.id,
                        text=f"post {i} of customer {n}: my bag never arrived",
                        created_at=T0 + timedelta(minutes=i),
                    )
                )
            case = Case(contact_id=contact.id, subject=f"bag {n}", channel="twitter", status="open")
            s.add(case)
            s.flush()
            s.add(CaseConversation(case_id=case.id, conversation_id=conv.id))
    return customers * 4


def ceiling_salesforce(sf: SalesforceStandin, n: int) -> tuple[float, int]:
    with httpx.Client() as client:
        token = client.post(
            f"{sf.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sf.client_id,
                "client_secret": sf.client_secret,
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        start = time.perf_counter()
        for i in range(n):
            client.patch(
                f"{sf.url}/services/data/v59.0/sobjects/Contact/Groundswell_Id__c/raw-{i}",
                json={"LastName": f"Raw {i}", "Email": f"r{i}@example.com"},
                headers=headers,
            ).raise_for_status()
        return n / (time.perf_counter() - start), n


def ceiling_hubspot(hs: HubSpotStandin, n: int) -> tuple[float, int]:
    with httpx.Client() as client:
        headers = {"Authorization": f"Bearer {hs.token}"}
        start = time.perf_counter()
        for i in range(n):
            client.post(
                f"{hs.url}/crm/v3/objects/contacts/batch/upsert",
                json={
                    "inputs": [
                        {
                            "idProperty": "groundswell_id",
                            "id": f"raw-{i}",
                            "properties": {"lastname": f"Raw {i}"},
                        }
                    ]
                },
                headers=headers,
            ).raise_for_status()
        return n / (time.perf_counter() - start), n


def measure(system: str, customers: int, tmp: Path) -> dict[str, float]:
    url = f"sqlite:///{tmp / f'{system}.db'}"
    upgrade(url)
    settings = Settings(database_url=url, environment="test", _env_file=None)  # type: ignore[call-arg]
    db = Database(settings)
    records = seed(db, customers)
    standin: SalesforceStandin | HubSpotStandin
    if system == "salesforce":
        standin = SalesforceStandin()
        standin.start()
        data = ConnectionIn(
            name="sf",
            system="salesforce",
            base_url=standin.url,
            client_id=standin.client_id,
            client_secret=standin.client_secret,
        )
    else:
        standin = HubSpotStandin()
        standin.start()
        data = ConnectionIn(
            name="hs", system="hubspot", base_url=standin.url, access_token=standin.token
        )
    try:
        with db.session() as s:
            service.create_connection(s, settings=settings, policy=LOCAL, data=data)
        runner = SyncRunner(settings, db, policy=LOCAL, batch=records + 10)
        before = len(standin.requests)
        start = time.perf_counter()
        (first,) = runner.run_all(force=True)
        first_s = time.perf_counter() - start
        requests = len(standin.requests) - before
        assert first.pushed == records, first
        start = time.perf_counter()
        (second,) = runner.run_all(force=True)
        second_s = time.perf_counter() - start
        assert second.pushed == 0, second
        if isinstance(standin, SalesforceStandin):
            ceiling, _ = ceiling_salesforce(standin, records)
        else:
            ceiling, _ = ceiling_hubspot(standin, records)
    finally:
        standin.stop()
        db.dispose()
    return {
        "records": records,
        "first_rps": records / first_s,
        "first_req_s": requests / first_s,
        "req_per_record": requests / records,
        "second_rps": records / second_s,
        "ceiling": ceiling,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=200)
    args = parser.parse_args()
    machine = describe()
    print(f"# CRM sync: {args.customers} customers × (contact, case, 2 posts), SQLite")
    print(f"machine: {machine['cpu']} · {machine['nproc']} cpus · {machine['commit']}")
    print(f"load before: {machine['load']}")
    print()
    print(
        "| CRM | records | first sync rec/s | requests/record | first sync req/s "
        "| raw ceiling req/s | ratio | unchanged rec/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for system in ("salesforce", "hubspot"):
            m = measure(system, args.customers, Path(tmp))
            ratio = m["first_req_s"] / m["ceiling"]
            print(
                f"| {system} | {m['records']:.0f} | {m['first_rps']:.0f} "
                f"| {m['req_per_record']:.2f} | {m['first_req_s']:.0f} | {m['ceiling']:.0f} "
                f"| {ratio:.0%} | {m['second_rps']:.0f} |"
            )
    print(
        f"\nload after: {os.getloadavg()[0]:.2f}/{os.getloadavg()[1]:.2f}/{os.getloadavg()[2]:.2f}"
    )


if __name__ == "__main__":
    main()
