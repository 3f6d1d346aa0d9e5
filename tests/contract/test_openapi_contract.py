"""Property-based run over the whole OpenAPI description: no 5xx, no contract mismatch.

Schemathesis generates requests from the description (valid and invalid ones) for every
operation and checks each answer: never a server error, a status code the description
lists, the documented content type and a body matching the documented schema. The
number of examples per operation is bounded (``GROUNDSWELL_CONTRACT_EXAMPLES``, default
30) so the run stays a few minutes; ``test_the_run_was_big_enough`` checks the total
(at least 5,000). Schemathesis runs several generation phases per operation, each up to
that bound, so the total is well above bound × operations: on 154 operations, 15 gave
9,867 cases, 20 gave 10,627, 30 gave 12,147, 55 gave 15,947 and 90 gave 21,193, in
133, 162, 198, 263 and 346 s (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from groundswell.app import create_app
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import create_api_token, create_user
from groundswell.core.brokers.memory import MemoryBroker
from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from gs_testing import make_settings

EXAMPLES = int(os.environ.get("GROUNDSWELL_CONTRACT_EXAMPLES", "30"))
MIN_TOTAL_CASES = int(os.environ.get("GROUNDSWELL_CONTRACT_MIN_CASES", "5000"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
CASES: dict[str, int] = {}

# One xdist worker runs the whole module, so the case count below sees every case.
pytestmark = pytest.mark.xdist_group("openapi-contract")


def _contract_app() -> Any:
    """An app on a fresh SQLite file with one admin and a token.

    Built at import because the schema must exist when pytest collects the operations.
    """
    folder = Path(tempfile.mkdtemp(prefix="gs-contract-"))
    url = f"sqlite:///{folder / 'gs.db'}"
    upgrade(url)
    app_settings = make_settings(url)
    db = Database(app_settings)
    with db.session() as s:
        user = create_user(
            s, data=UserCreate(email="admin@example.com", password="password123", role="admin")
        )
        token = create_api_token(s, user_id=user.id, name="contract")
    db.dispose()
    app = create_app(app_settings, broker=MemoryBroker(), embedded_worker=False)
    app.state.contract_token = token
    return app


APP = _contract_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_description(case: Any) -> None:
    key = case.operation.label
    CASES[key] = CASES.get(key, 0) + 1
    headers = {"Authorization": f"Bearer {APP.state.contract_token}"}
    case.call_and_validate(headers=headers, checks=CHECKS)


def test_the_run_was_big_enough() -> None:
    """Runs after the generated tests (same module, later in file order)."""
    if not CASES:
        pytest.skip("the contract run was deselected")
    total = sum(CASES.values())
    print(f"contract cases: {total} over {len(CASES)} operations")
    if EXAMPLES >= 30:
        assert total >= MIN_TOTAL_CASES, f"only {total} cases; raise the examples per operation"
