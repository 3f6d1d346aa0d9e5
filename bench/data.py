"""The benchmark's posts: the airline sample, replicated to any size with fresh ids.

Replication keeps every text and author name, so enrichment sees real tweets, but each
copy ``k`` suffixes both the post id and the author id with ``-k``. Without the author
suffix the 7,701 airline handles would all be known after the first copy and the run would
measure only updates of existing identities; with it a copy brings its own authors, about
one new identity (and contact) per two posts, which is what a stream of strangers writing
to a brand looks like. Source rows that repeat a ``tweet_id`` are kept once, so every
replicated post is new and the run stores exactly N interactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from groundswell.ingestion.formats import Accepted, parse_file
from groundswell.ingestion.schemas import InboundPost

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "airline" / "Tweets.csv"


def load_base_posts(path: Path = DEFAULT_SOURCE) -> list[InboundPost]:
    """Parse the airline CSV once; unique external ids, in file order."""
    seen: set[str] = set()
    posts: list[InboundPost] = []
    for record in parse_file(path, "airline"):
        if isinstance(record, Accepted) and record.post.external_id not in seen:
            seen.add(record.post.external_id)
            posts.append(record.post)
    if not posts:
        raise SystemExit(f"{path}: no posts parsed")
    return posts


def copy_of(post: InboundPost, k: int) -> InboundPost:
    """Copy ``k`` of a post: same text and time, post and author ids suffixed with ``-k``."""
    author = post.author.model_copy(update={"external_id": f"{post.author.external_id}-{k}"})
    url = f"{post.url}-{k}" if post.url else None
    return post.model_copy(
        update={"external_id": f"{post.external_id}-{k}", "author": author, "url": url}
    )


def replicate(base: list[InboundPost], n: int) -> Iterator[tuple[int, InboundPost]]:
    """``n`` posts as (copy number, post), copy 0 first, then copy 1, and so on."""
    made = 0
    k = 0
    while made < n:
        for post in base:
            if made >= n:
                return
            yield k, copy_of(post, k)
            made += 1
        k += 1


def write_jsonl(base: list[InboundPost], n: int, path: Path) -> int:
    """Write ``n`` replicated posts as Groundswell's native JSON Lines import format."""
    with path.open("wb") as out:
        for _, post in replicate(base, n):
            out.write(post.model_dump_json(exclude_defaults=True).encode())
            out.write(b"\n")
    return n
