"""Build the demo sample shipped in ``src/groundswell/demo/data`` from the shared data sets.

Run once by a maintainer (``python scripts/build_demo_sample.py``); the product itself
never reads the shared data folder. The sample keeps the posts' own words, authors,
times and reply ids, in Groundswell's native JSONL format.
"""

from __future__ import annotations

import random
import sys
from datetime import timedelta
from pathlib import Path

from groundswell.ingestion.formats import Accepted, parse_file
from groundswell.ingestion.schemas import InboundPost

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "groundswell" / "demo" / "data" / "sample.jsonl"
AIRLINE_POSTS = 3000
TWCS_POSTS = 1500


def densest_window(posts: list[InboundPost], days: int = 8) -> list[InboundPost]:
    """The posts of the busiest ``days``-long window, in time order.

    The support sample holds a few replies to tweets from years earlier; replayed with
    the rest they would stretch the demo's timeline over weeks of near silence.
    """
    posts = sorted(posts, key=lambda p: p.created_at)
    span = timedelta(days=days)
    best, lo = (0, 0), 0
    for hi, post in enumerate(posts):
        while post.created_at - posts[lo].created_at > span:
            lo += 1
        if hi - lo + 1 > best[1] - best[0]:
            best = (lo, hi + 1)
    return posts[best[0] : best[1]]


def main() -> int:
    rng = random.Random(20150224)
    airline = [
        r.post
        for r in parse_file(DATA / "airline" / "Tweets.csv", "airline")
        if isinstance(r, Accepted)
    ]
    seen: set[str] = set()
    airline = [p for p in airline if not (p.external_id in seen or seen.add(p.external_id))]
    airline = sorted(rng.sample(airline, AIRLINE_POSTS), key=lambda p: p.created_at)
    twcs = densest_window(
        [
            r.post
            for r in parse_file(DATA / "twcs_sample" / "twcs_sample.csv", "twcs")
            if isinstance(r, Accepted)
        ]
    )[:TWCS_POSTS]
    with OUT.open("w", encoding="utf-8") as out:
        for post in [*airline, *twcs]:
            keep = {"airline", "airline_sentiment", "negativereason"} if post.raw else set()
            raw = {k: v for k, v in (post.raw or {}).items() if k in keep} or None
            out.write(post.model_copy(update={"raw": raw}).model_dump_json(exclude_none=True))
            out.write("\n")
    print(f"wrote {AIRLINE_POSTS} airline and {len(twcs)} twcs posts to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
