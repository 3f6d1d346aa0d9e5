"""What a new Groundswell process pays before it does any work, beside its floors.

Every web server, enrichment child, worker, CLI command and browser-test server starts a
fresh interpreter and imports the app. Measured side by side in one run, each command
several times in turn (the median is printed):

- ``python -c pass``: the interpreter alone;
- the frameworks the app is built on (FastAPI, SQLAlchemy, pydantic, Jinja2, numpy);
- ``import groundswell.app`` (every route, model and template helper);
- ``groundswell --help`` (the CLI's entry point).

It also lists which optional heavy libraries the app import pulled in: matplotlib and
scipy are imported where they are used (digest charts, CLV fits), not at start.

Run: ``python -m bench.process_start [--rounds 7]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import describe

FRAMEWORKS = "import fastapi, sqlalchemy, pydantic, jinja2, numpy"
HEAVY = ("matplotlib", "scipy", "onnxruntime", "sklearn", "torch", "pandas")


def _commands() -> list[tuple[str, list[str]]]:
    py = sys.executable
    cli = shutil.which("groundswell") or str(Path(py).with_name("groundswell"))
    return [
        ("python -c pass", [py, "-c", "pass"]),
        ("frameworks (fastapi, sqlalchemy, pydantic, jinja2, numpy)", [py, "-c", FRAMEWORKS]),
        ("import groundswell.app", [py, "-c", "import groundswell.app"]),
        ("groundswell --help", [cli, "--help"]),
    ]


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, choices=range(1, 51), metavar="1-50")
    args = parser.parse_args(argv)
    commands = _commands()
    times: dict[str, list[float]] = {name: [] for name, _ in commands}
    for _name, cmd in commands:  # warm the file cache once
        _time(cmd)
    for _ in range(args.rounds):
        for name, cmd in commands:
            times[name].append(_time(cmd))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    floor = medians[commands[1][0]]
    machine = describe()
    print(", ".join(f"{k} {v}" for k, v in machine.items()))
    print(f"{'process':<60} {'median s':>9} {'vs frameworks':>14}")
    for name, _ in commands:
        print(f"{name:<60} {medians[name]:>9.2f} {medians[name] / floor:>13.2f}x")
    probe = "import sys, groundswell.app; print(' '.join(m for m in %r if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe % (HEAVY,)], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(f"heavy libraries loaded by the app import: {loaded or 'none'}")


if __name__ == "__main__":
    main()
