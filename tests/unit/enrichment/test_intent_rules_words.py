"""The purchase rule's word check never turns away a text the expression would match.

``may_buy`` looks for words before the eighty-branch expression runs; a word missing from
its list would silently drop purchase intents. Texts are generated from the expression's
own parse tree (every branch, random choices inside each), so a branch added to
``PURCHASE`` without its word fails here.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pytest

try:  # Python 3.11 keeps the parser under its old name too
    import re._parser as sre_parse  # type: ignore[import-not-found]
    from re._constants import (  # type: ignore[import-not-found]
        ANY,
        AT,
        BRANCH,
        CATEGORY,
        CATEGORY_DIGIT,
        CATEGORY_NOT_DIGIT,
        CATEGORY_NOT_SPACE,
        CATEGORY_NOT_WORD,
        CATEGORY_SPACE,
        CATEGORY_WORD,
        IN,
        LITERAL,
        MAX_REPEAT,
        MIN_REPEAT,
        NEGATE,
        NOT_LITERAL,
        RANGE,
        SUBPATTERN,
    )
except ImportError:  # pragma: no cover
    pytest.skip("this Python has no re._parser", allow_module_level=True)

from groundswell.enrichment.model.intent_rules import PURCHASE, may_buy

_CATEGORY_SAMPLE = {
    CATEGORY_WORD: "w",
    CATEGORY_NOT_WORD: " ",
    CATEGORY_SPACE: " ",
    CATEGORY_NOT_SPACE: "s",
    CATEGORY_DIGIT: "7",
    CATEGORY_NOT_DIGIT: "x",
}


def _class_sample(items: list[tuple[Any, Any]], rng: random.Random) -> str:
    if items and items[0][0] is NEGATE:
        banned = {chr(v) for op, v in items[1:] if op is LITERAL}
        return next(c for c in "xyz q" if c not in banned)
    op, value = rng.choice(items)
    if op is LITERAL:
        return chr(value)
    if op is RANGE:
        return chr(rng.randint(value[0], value[1]))
    if op is CATEGORY:
        return _CATEGORY_SAMPLE[value]
    raise AssertionError(f"unexpected class item {op}")


def _generate(tree: Any, rng: random.Random) -> str:
    out = []
    for op, value in tree:
        if op is LITERAL:
            char = chr(value)
            out.append(char.upper() if rng.random() < 0.2 else char)
        elif op is NOT_LITERAL:
            out.append("x" if chr(value) != "x" else "y")
        elif op is ANY:
            out.append(" ")
        elif op is IN:
            out.append(_class_sample(value, rng))
        elif op is BRANCH:
            out.append(_generate(rng.choice(value[1]), rng))
        elif op is SUBPATTERN:
            out.append(_generate(value[3], rng))
        elif op in (MAX_REPEAT, MIN_REPEAT):
            low, high, sub = value
            count = rng.randint(low, min(high, low + 3))
            out.extend(_generate(sub, rng) for _ in range(count))
        elif op is AT:
            continue
        elif op is CATEGORY:
            out.append(_CATEGORY_SAMPLE[value])
        else:
            raise AssertionError(f"unexpected pattern item {op}")
    return "".join(out)


def _branches() -> list[Any]:
    tree = sre_parse.parse(PURCHASE.pattern, PURCHASE.flags)
    (at, _), (sub_op, sub) = list(tree)[:2]
    assert at is AT and sub_op is SUBPATTERN
    inner = list(sub[3])
    assert len(inner) == 1 and inner[0][0] is BRANCH
    return list(inner[0][1][1])


def test_every_branch_generates_texts_the_word_check_lets_through() -> None:
    rng = random.Random(20261127)
    branches = _branches()
    assert len(branches) > 40
    for k, branch in enumerate(branches):
        matched = 0
        for _ in range(60):
            text = f"so {_generate(branch, rng)} now"
            if PURCHASE.search(text) is None:
                continue  # a word boundary the generator did not place
            matched += 1
            assert may_buy(text), (k, text)
        assert matched, f"branch {k} generated no matching text"


@pytest.mark.parametrize(
    "text",
    [
        "I want to purchaſe two tickets",  # long s matches s under IGNORECASE
        "HOW MUCH IS a flight to Denver?",
        "İ want to buy a ticket",
        "trying to BOOK",
        "pls add more nonstops to Austin",
    ],
)
def test_case_and_the_characters_re_folds_to_ascii(text: str) -> None:
    assert PURCHASE.search(text) is not None
    assert may_buy(text)


def test_real_posts_get_the_same_answer_as_without_the_word_check() -> None:
    """The hand-labelled samples in the repository and, where present, the airline set."""
    source = Path(__file__).resolve().parents[3] / "src/groundswell/training/data"
    texts = ["Where can I buy a gift card?", "my bag is lost again", "Is the lounge open?"]
    for path in sorted(source.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.append(str(json.loads(line)["text"]))
    airline = Path(__file__).resolve().parents[4] / "shared/data/airline/Tweets.csv"
    if airline.exists():
        with airline.open(encoding="utf-8") as f:
            texts += [row["text"] for row in csv.DictReader(f)]
    assert len(texts) > 500
    matched = 0
    for text in texts:
        if PURCHASE.search(text):
            matched += 1
            assert may_buy(text), text
    assert matched > 50
