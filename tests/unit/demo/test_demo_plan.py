"""The demo's history and live halves: paced alike, long enough for the detector."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from groundswell.core.clock import utcnow
from groundswell.demo.setup import (
    HISTORY_SPAN,
    daily_history,
    hourly_profile,
    pass_authors,
    replay_rate,
    split_sample,
    spread_live,
)

ORIGINALS = {p.external_id for p in split_sample(speed=60).history}


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


def test_history_has_the_real_daily_rhythm_and_meets_the_replay_level() -> None:
    plan = split_sample(speed=60)
    per_hour = Counter(
        p.created_at.replace(minute=0, second=0, microsecond=0) for p in plan.history
    )
    full_hours = [per_hour[h] for h in sorted(per_hour)][1:-1]
    assert max(full_hours) >= 3 * min(full_hours), "a day rises and falls, not one block"
    last_hour = [
        p for p in plan.history if p.created_at >= plan.history[-1].created_at - timedelta(hours=1)
    ]
    rate = replay_rate(plan.live, 60)
    assert 0.7 * rate * 60 <= len(last_hour) <= 1.3 * rate * 60


def test_replies_in_the_history_follow_the_posts_they_answer() -> None:
    history = split_sample(speed=60).history
    seen: set[str] = set()
    replies = 0
    for post in history:
        if post.reply_to_external_id and post.reply_to_external_id.split("-h")[0] in ORIGINALS:
            replies += 1
            assert post.reply_to_external_id in seen, post.external_id
        seen.add(post.external_id)
    assert replies > 0


def test_daily_history_follows_the_profile_it_is_given() -> None:
    posts = split_sample(speed=60).history[:500]
    profile = [0.5] * 12 + [1.5] * 12  # quiet mornings, busy afternoons (UTC)
    end = datetime(2026, 1, 2, 12, 30, tzinfo=UTC)  # 12:30 is an ordinary hour: no shift
    out = daily_history(posts, profile=profile, end=end, span=timedelta(hours=24), rate_now=10)
    by_half = Counter(p.created_at.hour >= 12 for p in out)
    assert 2 <= by_half[True] / by_half[False] <= 4
    assert all(end - timedelta(hours=24, minutes=1) <= p.created_at < end for p in out)


def test_hourly_profile_clips_one_incident_and_has_mean_one() -> None:
    hours = [h for h in range(24) for _ in range(10)] + [22] * 500
    profile = hourly_profile(hours)
    assert abs(sum(profile) / 24 - 1) < 1e-9
    assert profile[22] < 2.0, "one evening's incident is not every day's peak"


def test_no_source_arrives_as_a_burst_in_the_first_replay_minute() -> None:
    """The support sample's live half covers half an hour of real time: at 60x it would
    be hundreds of posts in the replay's first minute, an alert no customer caused."""
    live = split_sample(60).live
    start = live[0].created_at
    per_minute: dict[int, int] = {}
    for post in live:
        minute = int((post.created_at - start).total_seconds() / 60 // 60)
        per_minute[minute] = per_minute.get(minute, 0) + 1
    busiest_start = max(per_minute.get(m, 0) for m in range(3))
    assert busiest_start < 4 * sorted(per_minute.values())[len(per_minute) // 2]
    assert len(live) == len({(p.channel, p.external_id) for p in live})


def test_a_short_source_is_stretched_over_the_longest_in_its_own_order() -> None:
    base = split_sample(60).live[:6]
    t0 = datetime(2015, 2, 22, 12, 0, tzinfo=UTC)
    long = [
        p.model_copy(update={"created_at": t0 + timedelta(hours=10 * i), "channel": "a"})
        for i, p in enumerate(base[:3])
    ]
    short = [
        p.model_copy(update={"created_at": t0 + timedelta(minutes=i), "channel": "b"})
        for i, p in enumerate(base[3:])
    ]
    spread = spread_live(
        sorted(long + short, key=lambda p: p.created_at), by_source=lambda p: p.channel
    )
    assert [p.external_id for p in spread if p.channel == "b"] == [p.external_id for p in short]
    stretched = [p.created_at for p in spread if p.channel == "b"]
    assert stretched[0] == t0 and stretched[-1] == t0 + timedelta(hours=20)
    assert [p.created_at for p in spread if p.channel == "a"] == [p.created_at for p in long]


def test_history_copies_keep_tweet_ids_numeric_so_agents_can_answer_them() -> None:
    """The X stand-in, like X, refuses a reply whose parent id is not a number: with
    ``-h<n>`` suffixes every answer to a history post failed with 400."""
    import json

    from groundswell.demo.setup import SAMPLE

    sample = {json.loads(line)["external_id"] for line in SAMPLE.read_text("utf-8").splitlines()}
    plan = split_sample(speed=60)
    copies = [p for p in plan.history if p.external_id not in sample]
    assert copies, "the day of history repeats the sample"
    assert all(p.external_id.isdigit() for p in copies if p.channel == "twitter")
    replies = [p for p in copies if p.reply_to_external_id]
    assert replies and all(p.reply_to_external_id.isdigit() for p in replies)  # type: ignore[union-attr]
    by_id = {p.external_id for p in plan.history}
    assert sum(p.reply_to_external_id in by_id for p in replies) > len(replies) // 2


def test_copy_ids_are_distinct_per_pass_and_never_a_real_id() -> None:
    from groundswell.demo.setup import copy_id

    assert copy_id("567623209026334720", 0) == "567623209026334720"
    ids = {copy_id(i, c) for i in ("12", "567623209026334720") for c in range(1, 30)}
    assert len(ids) == 58 and all(len(i) >= 20 and i.isdigit() for i in ids)
    assert copy_id("abc", 2) == "abc-h2"


def test_a_customer_does_not_say_the_same_thing_once_per_pass() -> None:
    """The history cycles its posts many times over the day; before, each customer's
    timeline held the same tweet once per pass (29 times)."""
    history = split_sample(speed=60).history
    texts: dict[str, list[str]] = {}
    for post in history:
        if post.direction == "in":
            texts.setdefault(post.author.external_id, []).append(post.text)
    busy = [t for t in texts.values() if len(t) >= 10]
    assert busy
    repeated = sum(len(t) - len(set(t)) for t in busy) / sum(len(t) for t in busy)
    assert repeated < 0.2, repeated
    brands = {p.author.external_id for p in history if p.direction == "out"}
    originals = split_sample(speed=60).history  # same plan: brands keep their own replies
    assert brands == {p.author.external_id for p in originals if p.direction == "out"}
    assert not brands & set(texts), "a brand's reply is never given to a customer"


def test_each_pass_is_a_one_to_one_recasting_of_customers() -> None:
    """One customer per customer in a pass, so a thread's customer stays one person
    (their follow-ups stay theirs); the first pass and the brands are left as they are."""
    posts = split_sample(speed=60).history[:3000]
    recast = pass_authors(posts)
    brand_ids = {p.author.external_id for p in posts if p.direction == "out"}
    brands = [p.author for p in posts if p.author.external_id in brand_ids]
    customers = {p.author.external_id: p.author for p in posts}
    for b in brand_ids:
        customers.pop(b, None)
    assert brands and len(customers) > 100
    addressed: dict[str, Counter[str]] = {}
    for p in posts:
        words = [w for w in p.text.split() if w.startswith("@") and len(w) > 1]
        first = words[0].rstrip(".,:;!?").lower() if words else ""
        addressed.setdefault(p.author.external_id, Counter())[first] += 1
    brand_of = {k: addressed[k].most_common(1)[0][0] for k in customers}
    assert all(recast(a, 0) == a for a in customers.values())
    for copy in (1, 2, 7):
        cast = {k: recast(a, copy).external_id for k, a in customers.items()}
        assert len(set(cast.values())) == len(customers)  # nobody speaks for two
        assert sum(cast[k] != k for k in customers) > 0.9 * len(customers)
        assert set(cast.values()) <= set(customers)  # never a brand
        # a United customer is given another United customer's posts
        united = [k for k in customers if brand_of[k] == "@united"]
        assert len(united) >= 50
        assert all(brand_of[cast[k]] == "@united" for k in united)
        assert all(recast(b, copy) == b for b in brands)
