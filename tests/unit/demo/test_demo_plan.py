"""The demo's history and live halves: paced alike, long enough for the detector."""

from __future__ import annotations

from datetime import timedelta

from groundswell.core.clock import utcnow
from groundswell.demo.setup import HISTORY_SPAN, split_sample


def test_history_covers_the_detector_warm_up_with_unique_ids() -> None:
    plan = split_sample(speed=60)
    history = plan.history
    assert history and plan.live
    assert history[-1].created_at <= utcnow()
    assert history[-1].created_at - history[0].created_at >= HISTORY_SPAN
    keys = [(p.channel, p.external_id) for p in history]
    assert len(keys) == len(set(keys))
    live_keys = {(p.channel, p.external_id) for p in plan.live}
    assert not live_keys & set(keys)


def test_history_is_paced_like_the_replay() -> None:
    slow, fast = split_sample(speed=1), split_sample(speed=60)
    # The same real posts, sixty times closer together.
    one = [p for p in slow.history if not p.external_id.endswith(("-h1", "-h2"))]
    span_slow = one[-1].created_at - one[0].created_at
    base = [p for p in fast.history if "-h" not in p.external_id]
    span_fast = base[-1].created_at - base[0].created_at
    assert abs(span_slow / 60 - span_fast) < timedelta(minutes=1)
