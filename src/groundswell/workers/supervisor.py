"""Run N worker processes, restart the ones that crash, stop them all on a signal.

Separate OS processes (not threads) let stages use every core despite the GIL. The
"spawn" start method is used because forking a parent that may hold database engines,
Redis connections or threads copies them into the child in an unusable state.

Shutdown is cooperative: SIGINT/SIGTERM set one shared event that each child's loop
checks between batches, so a batch in flight is committed and acked before the process
exits; only children still running after the grace period are terminated.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from types import FrameType

log = logging.getLogger(__name__)

Target = Callable[[int, Event], None]

EXIT_OK = 0
EXIT_GAVE_UP = 1


@dataclass
class _Slot:
    index: int
    process: SpawnProcess | None = None
    restarts: int = 0
    restart_at: float | None = None


def _child_main(target: Target, index: int, stop: Event) -> None:
    """Child entry point: leave SIGINT to the parent; SIGTERM stops gracefully.

    A terminal's Ctrl-C reaches the whole process group; the parent turns it into the
    stop event, so the children ignore it rather than die mid-batch. A SIGTERM sent to
    a child (e.g. by a service manager signalling every process) sets the same event. A
    watcher thread sets it too if the parent dies, so no worker is left orphaned.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    parent = multiprocessing.parent_process()
    if parent is not None:
        sentinel = parent.sentinel

        def watch_parent() -> None:
            wait([sentinel])
            stop.set()

        threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()
    target(index, stop)


def run_processes(
    target: Target,
    *,
    concurrency: int,
    name: str,
    grace_s: float = 30.0,
    max_restarts: int = 10,
    restart_backoff_s: float = 0.5,
    max_backoff_s: float = 30.0,
) -> int:
    """Start ``concurrency`` processes each running ``target(index, stop)``; wait for them.

    ``target`` must be picklable (a module-level function). A child that exits non-zero
    before shutdown is restarted after a back-off that doubles per crash of that slot;
    once a slot has crashed more than ``max_restarts`` times the supervisor stops
    everything and returns 1, so a service manager sees the failure rather than a
    silent restart loop. A child that exits 0 on its own is finished and not restarted.
    Returns 0 when every child ended cleanly after a stop signal or by itself.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    slots = [_Slot(i) for i in range(concurrency)]
    gave_up = False

    def start(slot: _Slot) -> None:
        process = ctx.Process(
            target=_child_main,
            args=(target, slot.index, stop),
            name=f"{name}-{slot.index}",
        )
        process.start()
        slot.process, slot.restart_at = process, None
        log.info("%s: started process %d (pid %s)", name, slot.index, process.pid)

    previous = _install_signal_handlers(stop)
    try:
        for slot in slots:
            start(slot)
        while not stop.is_set():
            running = [s.process for s in slots if s.process is not None]
            due = [s.restart_at for s in slots if s.restart_at is not None]
            if not running and not due:
                break
            timeout = 0.5
            if due:
                timeout = max(0.0, min(timeout, min(due) - time.monotonic()))
            wait([p.sentinel for p in running], timeout=timeout)
            for slot in slots:
                if not _reap(slot, name, stop, restart_backoff_s, max_backoff_s):
                    continue
                if slot.restarts > max_restarts:
                    log.error("%s: process %d keeps crashing; giving up", name, slot.index)
                    gave_up = True
                    stop.set()
                    break
            now = time.monotonic()
            for slot in slots:
                if not stop.is_set() and slot.restart_at is not None and slot.restart_at <= now:
                    start(slot)
    finally:
        stop.set()
        clean = _shutdown(slots, name, grace_s)
        _restore_signal_handlers(previous)
    return EXIT_GAVE_UP if gave_up or not clean else EXIT_OK


def _reap(slot: _Slot, name: str, stop: Event, backoff_s: float, max_backoff_s: float) -> bool:
    """Notice an exited child; schedule its restart if it crashed. True if it crashed."""
    process = slot.process
    if process is None or process.is_alive():
        return False
    process.join()
    code = process.exitcode
    process.close()
    slot.process = None
    if code == 0 or stop.is_set():
        log.info("%s: process %d exited with code %s", name, slot.index, code)
        return False
    slot.restarts += 1
    delay = min(backoff_s * 2 ** (slot.restarts - 1), max_backoff_s)
    slot.restart_at = time.monotonic() + delay
    log.warning(
        "%s: process %d crashed (exit code %s); restart %d in %.1fs",
        name,
        slot.index,
        code,
        slot.restarts,
        delay,
    )
    return True


def _shutdown(slots: list[_Slot], name: str, grace_s: float) -> bool:
    """Wait up to ``grace_s`` for children to stop; terminate, then kill, the rest.

    Returns whether every child still running exited with code 0.
    """
    live = [s.process for s in slots if s.process is not None]
    deadline = time.monotonic() + grace_s
    for process in live:
        process.join(max(0.0, deadline - time.monotonic()))
    clean = True
    for process in live:
        if process.is_alive():
            log.warning("%s: %s did not stop in %.0fs; terminating", name, process.name, grace_s)
            process.terminate()
            process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
        if process.exitcode != 0:
            clean = False
        process.close()
    for slot in slots:
        slot.process = None
    return clean


_Handler = Callable[[int, FrameType | None], object] | int | None


def _install_signal_handlers(stop: Event) -> dict[int, _Handler]:
    """Turn SIGINT/SIGTERM into the stop event (only possible on the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s; stopping workers", signal.Signals(signum).name)
        stop.set()

    previous: dict[int, _Handler] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, request_stop)
    return previous


def _restore_signal_handlers(previous: dict[int, _Handler]) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
