"""The supervisor with real OS processes: start, stop on a signal, restart after a crash.

The stop is a real SIGTERM sent to this process, which is what a service manager does;
it is sent only once every child has reported in, so the supervisor's handler is in place.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest

from groundswell.workers.supervisor import run_processes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

WAIT_S = 60.0


def well_behaved(directory: str, index: int, stop: Event) -> None:
    base = Path(directory)
    (base / f"started-{index}-{os.getpid()}").touch()
    stop.wait(WAIT_S)
    (base / f"stopped-{index}").write_text(str(stop.is_set()))


def crashes_once(directory: str, index: int, stop: Event) -> None:
    base = Path(directory)
    marker = base / f"crashed-{index}"
    if index == 0 and not marker.exists():
        marker.touch()
        raise SystemExit(3)
    well_behaved(directory, index, stop)


def always_crashes(directory: str, index: int, stop: Event) -> None:
    with (Path(directory) / "attempts").open("a") as f:
        f.write(f"{index}\n")
    raise SystemExit(2)


def finishes(directory: str, index: int, stop: Event) -> None:
    (Path(directory) / f"done-{index}").touch()


def terminate_when(ready: Callable[[], bool]) -> threading.Thread:
    """SIGTERM this process once ``ready()`` holds (or after WAIT_S, to fail cleanly)."""

    def watch() -> None:
        deadline = time.monotonic() + WAIT_S
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def started(tmp_path: Path, index: int) -> list[Path]:
    return list(tmp_path.glob(f"started-{index}-*"))


def test_all_processes_run_and_stop_on_the_event(tmp_path: Path) -> None:
    target = functools.partial(well_behaved, str(tmp_path))
    watcher = terminate_when(lambda: bool(started(tmp_path, 0) and started(tmp_path, 1)))
    code = run_processes(target, concurrency=2, name="test")
    watcher.join()
    assert code == 0
    pids = {p.name.rsplit("-", 1)[1] for p in tmp_path.glob("started-*")}
    assert len(pids) == 2
    assert os.getpid() not in {int(p) for p in pids}
    for index in (0, 1):
        assert (tmp_path / f"stopped-{index}").read_text() == "True"


def test_a_crashed_child_is_restarted(tmp_path: Path) -> None:
    target = functools.partial(crashes_once, str(tmp_path))
    watcher = terminate_when(lambda: bool(started(tmp_path, 0) and started(tmp_path, 1)))
    code = run_processes(target, concurrency=2, name="test", restart_backoff_s=0.1)
    watcher.join()
    assert code == 0
    assert (tmp_path / "crashed-0").exists()
    assert len(started(tmp_path, 0)) == 1
    assert (tmp_path / "stopped-0").read_text() == "True"
    assert (tmp_path / "stopped-1").read_text() == "True"


def test_gives_up_on_a_child_that_keeps_crashing(tmp_path: Path) -> None:
    target = functools.partial(always_crashes, str(tmp_path))
    code = run_processes(target, concurrency=1, name="test", max_restarts=2, restart_backoff_s=0.01)
    assert code == 1
    assert (tmp_path / "attempts").read_text().splitlines() == ["0"] * 3


def test_children_that_finish_are_not_restarted(tmp_path: Path) -> None:
    target = functools.partial(finishes, str(tmp_path))
    assert run_processes(target, concurrency=2, name="test") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done-0", "done-1"]
