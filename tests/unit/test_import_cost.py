"""Starting a process does not import what only one feature needs.

Every web server, worker, enrichment child and CLI command imports ``groundswell.app``.
matplotlib (digest charts) and scipy (CLV fits) cost about a second together at import,
so they are imported where they are used; this keeps a new top-level import from
bringing them back (their own tests: tests/unit/crm/test_clv_math.py and
tests/integration/test_digest_build.py).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("matplotlib", "scipy", "torch", "sklearn", "pandas")


def test_the_app_import_leaves_heavy_libraries_out() -> None:
    probe = f"import sys, groundswell.app; print(*[m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []
