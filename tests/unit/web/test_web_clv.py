"""Purchases by API and file, refusals by record and field, a refit, value on the contact."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from gs_webtest import Factory, login
from sqlalchemy import func, select

from groundswell.core.db import Database
from groundswell.crm.clv.models import Transaction
from groundswell.crm.clv.service import import_transactions, refit
from groundswell.crm.transaction_file import parse_rows
from groundswell.ingestion.models import RejectedRecord
from groundswell.settings import Settings, get_settings


def _buyers(factory: Factory, n: int) -> list[int]:
    ids = []
    for i in range(n):
        contact = factory.contact(f"Buyer {i}", email=f"buyer{i}@example.com")
        factory.key(contact, "email", f"buyer{i}@example.com")
        factory.key(contact, "customer", f"C{i:04d}")
        ids.append(contact)
    return ids


def _history(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    start = date(2023, 1, 2)
    out: list[dict[str, object]] = []
    for i in range(n):
        day = start + timedelta(days=rng.randrange(60))
        for _ in range(rng.randrange(1, 8) if i % 3 else 1):
            out.append(
                {
                    "customer_key": f"C{i:04d}",
                    "date": day.isoformat(),
                    "amount": round(rng.uniform(5, 120), 2),
                }
            )
            day += timedelta(days=rng.randrange(3, 40))
            if day > date(2024, 1, 1):
                break
    return out


def test_api_import_refuses_bad_records_alone_and_is_idempotent(
    client: TestClient, factory: Factory, db: Database
) -> None:
    user = factory.user()
    headers = {"Authorization": f"Bearer {factory.token(user)}"}
    _buyers(factory, 2)
    body = [
        {"customer_key": "C0000", "date": "2024-01-05", "amount": 12.5, "external_id": "o-1"},
        {
            "customer_key": "buyer1@EXAMPLE.com",
            "date": "2024-01-06",
            "amount": "20",
            "external_id": "o-2",
        },
        {"customer_key": "C0000", "date": "2024-01-07", "amount": -3, "external_id": "o-3"},
        {"customer_key": "C0000", "date": "2024-02-30", "amount": 3, "external_id": "o-4"},
        {"customer_key": "C0000", "date": "2024-01-07", "amount": "abc", "external_id": "o-5"},
        {"customer_key": "nobody", "date": "2024-01-07", "amount": 3, "external_id": "o-6"},
        {"customer_key": "C0000", "date": "2999-01-01", "amount": 3, "external_id": "o-7"},
    ]
    res = client.post("/api/v1/transactions", json=body, headers=headers)
    assert res.status_code == 200, res.text
    report = res.json()
    assert (report["read"], report["imported"], report["rejected"]) == (7, 2, 5)
    by_record = {r["record"]: (r["field"], r["reason"]) for r in report["rejections"]}
    assert by_record["item 2"][0] == "amount"
    assert by_record["item 3"][0] == "date"
    assert by_record["item 4"][0] == "amount"
    assert by_record["item 5"] == ("customer_key", "unknown customer: no contact carries this key")
    assert by_record["item 6"][0] == "date" and "future" in by_record["item 6"][1]
    again = client.post("/api/v1/transactions", json=body[:2], headers=headers).json()
    assert (again["imported"], again["duplicates"]) == (0, 2)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Transaction)) == 2
        kept = s.scalar(
            select(func.count())
            .select_from(RejectedRecord)
            .where(RejectedRecord.source == "transactions:api")
        )
        assert kept == 5


def test_csv_rows_are_refused_by_row_and_field() -> None:
    text = (
        "customer_key,date,amount\n"
        "C1,2024-01-01,10\n"
        "C1,20240102,abc\n"
        "C1,2024-13-01,5\n"
        "C1,2024-01-03,-1\n"
        ",2024-01-03,1\n"
    )
    parsed = list(parse_rows(text, name="t.csv"))
    assert parsed[0][1] is not None and parsed[0][1].external_id == "t.csv:row 2"
    assert [(p[0], p[2]) for p in parsed[1:]] == [
        ("row 3", "amount"),
        ("row 4", "date"),
        ("row 5", "amount"),
        ("row 6", "customer_key"),
    ]


def test_refit_values_show_on_contact_page_and_api(
    client: TestClient, factory: Factory, db: Database
) -> None:
    user = factory.user()
    headers = {"Authorization": f"Bearer {factory.token(user)}"}
    contacts = _buyers(factory, 60)
    rows = _history(60)
    res = client.post("/api/v1/transactions", json=rows, headers=headers)
    assert res.json()["imported"] == len(rows)
    run = client.post("/api/v1/clv/refit", headers=headers)
    assert run.status_code == 201, run.text
    assert run.json()["status"] == "fitted" and run.json()["customers"] == 60
    value = client.get(f"/api/v1/contacts/{contacts[1]}/value", headers=headers).json()
    assert 0 < value["p_alive"] <= 1 and value["clv"] > 0 and value["expected_purchases"] > 0
    assert 0 < value["percentile"] < 1
    assert (
        client.get(
            f"/api/v1/contacts/{factory.contact('Nobody')}/value", headers=headers
        ).status_code
        == 404
    )
    login(client)
    page = client.get(f"/contacts/{contacts[1]}").text
    assert "Lifetime value" in page
    shown = re.search(r'class="p-alive">(\d+)%', page)
    assert shown and int(shown.group(1)) == round(value["p_alive"] * 100)


def test_too_few_buyers_is_reported_not_fitted(factory: Factory, db: Database) -> None:
    _buyers(factory, 3)
    with db.session() as s:
        from groundswell.crm.clv.schemas import TransactionIn

        items = [
            (f"r{i}", TransactionIn(customer_key=f"C{i:04d}", date=date(2024, 1, 1), amount=5))
            for i in range(3)
        ]
        import_transactions(s, source="t", items=items)
        run = refit(s, horizon_weeks=52, annual_discount_rate=0.1, triggered_by="test")
    assert run.status == "too_few_customers" and run.r is None


def test_cli_imports_a_file(
    tmp_path: Path, factory: Factory, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from groundswell.cli import app

    _buyers(factory, 1)
    path = tmp_path / "buys.csv"
    path.write_text("customer_key,date,amount\nC0000,2024-01-01,10\nZZ,2024-01-01,5\n")
    monkeypatch.setenv("GROUNDSWELL_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["clv", "import", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "1 imported" in result.output and "1 refused" in result.output
    assert "row 3 [customer_key]: unknown customer" in result.output


def test_contact_page_shows_journey_and_trend(
    client: TestClient, factory: Factory, db: Database
) -> None:
    factory.user()
    ch = factory.channel()
    contact = _buyers(factory, 1)[0]
    factory.post(ch, "thinking of buying", contact_id=contact, sentiment=("neutral", 0.1))
    with db.session() as s:
        from groundswell.crm.clv.schemas import TransactionIn

        import_transactions(
            s,
            source="t",
            items=[("r", TransactionIn(customer_key="C0000", date=date(2024, 6, 1), amount=9))],
        )
    login(client)
    page = client.get(f"/contacts/{contact}").text
    assert 'class="stage">purchase<' in page and "a purchase was imported" in page
    assert "2024-05" in page and "+0.10" in page
