"""What the access checks cost per request, side by side with what they replaced.

- an authenticated page view now reads its session row (``session_user``) where it used
  to read only the user (``get_user``);
- a bearer request checks expiry and scope (``authenticate_token``) where it used to
  look up the digest (``verify_api_token`` before issue 13 did the same lookup);
- a login checks two ``limits`` counters; a new password runs zxcvbn, capped at 72
  characters because its cost grows with length.

Each database step starts from an empty identity map, as a request does.

Run: ``.venv/bin/python -m bench.auth_cost`` (SQLite in a temporary directory).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from zxcvbn import zxcvbn

from bench.machine import describe
from groundswell.auth.password_policy import PasswordPolicy
from groundswell.auth.schemas import UserCreate
from groundswell.auth.service import authenticate_token, create_api_token, create_user, get_user
from groundswell.auth.sessions import open_session, session_user
from groundswell.core.db import Database
from groundswell.core.migrate import upgrade
from groundswell.settings import Settings
from groundswell.web.login_limits import LoginLimiter


def median_us(fn: Callable[[], object], *, repeat: int = 2000) -> float:
    for _ in range(min(50, repeat)):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        settings = Settings(database_url=url, environment="test", _env_file=None)  # type: ignore[call-arg]
        db = Database(settings)
        with db.session() as s:
            user = create_user(
                s, data=UserCreate(email="b@example.com", password="x" * 12, role="admin")
            )
            token = create_api_token(s, user_id=user.id, name="bench")
            sid = open_session(s, user_id=user.id, max_age_seconds=3600)
        with db.session() as s:
            rows = [
                (
                    "page view: user only (before)",
                    median_us(lambda: (s.expunge_all(), get_user(s, user_id=user.id))),
                ),
                (
                    "page view: session row + user (now)",
                    median_us(
                        lambda: (s.expunge_all(), session_user(s, user_id=user.id, session_id=sid))
                    ),
                ),
                (
                    "bearer: token + scope + expiry (now)",
                    median_us(lambda: (s.expunge_all(), authenticate_token(s, token=token))),
                ),
            ]
        db.dispose()
        limiter = LoginLimiter(settings)
        rows.append(
            (
                "login: two limits counters check",
                median_us(lambda: limiter.check(account="a@example.com", address="192.0.2.1")),
            )
        )
        policy = PasswordPolicy()
        strong = "plinth-marmalade-orbit-97"
        rows.append(
            (
                "password: policy check (25 chars)",
                median_us(lambda: policy.check(strong), repeat=200),
            )
        )
        text = "correct horse battery staple " * 40
        rows.append(("zxcvbn 72 chars (the cap)", median_us(lambda: zxcvbn(text[:72]), repeat=20)))
        rows.append(
            (
                "zxcvbn 300 chars (if uncapped)",
                median_us(lambda: zxcvbn(text[:300], max_length=300), repeat=3),
            )
        )

    base = rows[0][1]
    machine = describe()
    print(
        ", ".join(
            f"{k} {machine[k]}"
            for k in ("date", "nproc", "cpu", "python", "sqlite", "load", "commit")
        )
    )
    print()
    print(f"| {'operation':<40} | {'median µs':>10} | {'× page view before':>18} |")
    print(f"|{'-' * 42}|{'-' * 12}:|{'-' * 19}:|")
    for name, us in rows:
        print(f"| {name:<40} | {us:>10.1f} | {us / base:>18.1f} |")


if __name__ == "__main__":
    main()
