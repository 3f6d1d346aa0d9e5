"""A model folder for store tests: the shipped model's files under another version."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

SHIPPED_DIR = Path(str(resources.files("groundswell.enrichment.model").joinpath("data")))


def candidate_folder(folder: Path, version: str, *, thresholds: float | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in (
        "sentiment-intent.int8.onnx",
        "intent-head.npz",
        "tokenizer.json",
        "metadata.json",
    ):
        shutil.copy(SHIPPED_DIR / name, folder / name)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["version"] = version
    meta["intent_version"] = f"{version}+intents2"
    if thresholds is not None:
        meta["intent_thresholds"] = dict.fromkeys(meta["intent_thresholds"], thresholds)
    (folder / "metadata.json").write_text(json.dumps(meta))
    return folder


def headless_trainer(calls: list[tuple[int, str]]):  # type: ignore[no-untyped-def]
    """A "trainer" that writes what real training writes: a graph and no intent head."""

    def train(output: Path, extra: list, version: str) -> None:  # type: ignore[type-arg]
        calls.append((len(extra), version))
        for name in ("sentiment-intent.int8.onnx", "tokenizer.json", "metadata.json"):
            shutil.copy(SHIPPED_DIR / name, output / name)
        meta = json.loads((output / "metadata.json").read_text())
        meta["version"] = version
        meta["files"].pop("intent_head")
        for key in ("intent_rules", "intent_version"):
            meta.pop(key)
        (output / "metadata.json").write_text(json.dumps(meta))

    return train


AIRLINE_POSTS = (
    ("negative", "@united flight {n} cancelled and nobody helped, worst airline"),
    ("negative", "@united never flying with you again after flight {n}"),
    ("negative", "@united why was flight {n} delayed four hours? can you help?"),
    ("positive", "@united thank you for the great crew on flight {n}!"),
    ("neutral", "@united how much is a ticket to Denver on the {n}th? want to book"),
    ("neutral", "@united can you tell me the gate for flight {n}?"),
)
SEMEVAL_POSTS = (
    "the match tonight was great, {n} goals",
    "I want to buy tickets for the concert on the {n}th",
    "happy birthday to my friend, {n} years old",
)


def write_weak_data(root: Path, per_template: int = 40) -> Path:
    """Tiny airline and SemEval files in the data sets' formats, for fitting a head."""
    (root / "airline").mkdir(parents=True)
    (root / "semeval2017").mkdir()
    rows = ["tweet_id,airline_sentiment,negativereason,airline,name,text"]
    tweet_id = 10_000_000
    for sentiment, template in AIRLINE_POSTS:
        for n in range(per_template):
            tweet_id += 1
            text = template.format(n=n + 2)
            rows.append(f'{tweet_id},{sentiment},,United,a,"{text}"')
    (root / "airline" / "Tweets.csv").write_text("\n".join(rows) + "\n")
    lines = []
    for template in SEMEVAL_POSTS:
        for n in range(per_template):
            tweet_id += 1
            lines.append(f"{tweet_id}\tneutral\t{template.format(n=n + 2)}\n")
    (root / "semeval2017" / "SemEval2017-task4-dev.subtask-A.english.INPUT.txt").write_text(
        "".join(lines)
    )
    return root
