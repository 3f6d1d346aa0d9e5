"""The hand-labelled intent sample: its shape, its guide, and that training never sees it."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.training.datasets import split_of
from groundswell.training.intent_head import fit_logistic, semeval_intents, weak_sets
from groundswell.training.intent_sample import (
    HeldOutLeakError,
    assert_not_held_out,
    held_out_keys,
    load_intent_sample,
)
from groundswell.training.train import train_records_without_held_out

DATA = resources.files("groundswell.training").joinpath("data")


def test_sample_has_at_least_80_posts_per_intent_from_held_out_sources() -> None:
    sample = load_intent_sample()
    counts = Counter(name for e in sample for name in e.intents or ())
    assert all(counts[name] >= 80 for name in INTENT_LABELS), counts
    sources = [e.source for e in sample]
    assert len(set(sources)) == len(sources), "a post is labelled twice"
    for source in sources:
        dataset = source.split(":")[0]
        assert dataset in {"airline", "semeval", "twcs"}
        if dataset != "twcs":  # twcs is never trained on; the others only on "train"
            assert split_of(source) != "train", source


def test_sample_keeps_its_record_format_and_guide() -> None:
    lines = DATA.joinpath("intent_sample.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        record = json.loads(line)
        assert set(record) == {"source", "text", "sentiment", "intents"}
        assert record["sentiment"] in {"negative", "neutral", "positive"}
        assert record["intents"] == [n for n in INTENT_LABELS if n in record["intents"]]
    guide = DATA.joinpath("intent_guide.md").read_text(encoding="utf-8")
    for name in INTENT_LABELS:
        assert f"## {name}" in guide


def test_leak_check_names_the_held_out_post() -> None:
    key = sorted(held_out_keys())[0]
    assert_not_held_out(["airline:1", "semeval:2"])
    with pytest.raises(HeldOutLeakError, match=key):
        assert_not_held_out(["airline:1", key])


def test_fine_tuning_drops_held_out_posts_by_id() -> None:
    from groundswell.training.datasets import Record
    from groundswell.training.examples import LabeledExample

    held = sorted(held_out_keys())
    train_key = next(f"airline:{i}" for i in range(10_000) if split_of(f"airline:{i}") == "train")
    records = [Record(k, LabeledExample("text", "neutral", (), "x")) for k in [*held, train_key]]
    assert [r.key for r in train_records_without_held_out(records)] == [train_key]


def _write_data(root: Path, sample_keys: list[str]) -> list[str]:
    """Tiny airline and SemEval files: every sample post plus fresh ones in each split."""
    (root / "airline").mkdir()
    (root / "semeval2017").mkdir()
    airline_ids = [k.split(":")[1] for k in sample_keys if k.startswith("airline:")]
    airline_ids += [str(i) for i in range(1, 400)]
    rows = ["tweet_id,airline_sentiment,negativereason,airline,name,text"]
    rows += [
        f"{i},negative,Late Flight,United,a,@united never flying with you again"
        for i in airline_ids
    ]
    (root / "airline" / "Tweets.csv").write_text("\n".join(rows) + "\n")
    semeval_ids = [k.split(":")[1] for k in sample_keys if k.startswith("semeval:")]
    semeval_ids += [str(i) for i in range(1, 400)]
    (root / "semeval2017" / "SemEval2017-task4-dev.subtask-A.english.INPUT.txt").write_text(
        "".join(f"{i}\tneutral\tthe match tonight\n" for i in semeval_ids)
    )
    return [f"airline:{i}" for i in airline_ids] + [f"semeval:{i}" for i in semeval_ids]


def test_intent_head_training_sets_never_hold_a_sample_post(tmp_path: Path) -> None:
    held = held_out_keys()
    written = _write_data(tmp_path, sorted(held))
    sets = weak_sets(tmp_path)
    used = set(sets["train"].keys) | set(sets["val"].keys)
    assert used and not used & held
    assert used == {k for k in written if k not in held and split_of(k) != "test"}
    churn = INTENT_LABELS.index("churn_threat")
    assert sets["train"].labels[[k.startswith("airline") for k in sets["train"].keys], churn].all()


def test_semeval_weak_labels_are_irrelevant_unless_buying_or_leaving() -> None:
    assert semeval_intents("Happy birthday Prince George!") == ("spam",)
    assert semeval_intents("I want to buy tickets for Ed Sheeran") == ("purchase_intent",)


def test_logistic_head_separates_a_rare_class() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3_000, 8))
    y = np.zeros((3_000, 2))
    y[:, 0] = x[:, 0] > 1.8  # about 4 % positives
    y[:, 1] = x[:, 1] + x[:, 2] > 0
    w, b = fit_logistic(x.astype(np.float32), y)
    predicted = (x @ w + b) > 0
    recall = (predicted[:, 0] & (y[:, 0] == 1)).sum() / y[:, 0].sum()
    assert recall > 0.9 and (predicted[:, 1] == (y[:, 1] == 1)).mean() > 0.95


def _graph_without_pooled(tmp_path: Path) -> Path:
    """The shipped graph as training exports it (no ``pooled`` output), with its tokenizer."""
    onnx = pytest.importorskip("onnx")
    from groundswell.training.intent_head import POOLED_OUTPUT

    source = Path(str(resources.files("groundswell.enrichment.model").joinpath("data")))
    model = onnx.load(str(source / "sentiment-intent.int8.onnx"))
    kept = [o for o in model.graph.output if o.name != POOLED_OUTPUT]
    del model.graph.output[:]
    model.graph.output.extend(kept)
    nodes = [
        n
        for n in model.graph.node
        if POOLED_OUTPUT not in n.output and not n.output[0].startswith("/pooled_layer")
    ]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    target = tmp_path / "m.onnx"
    onnx.save(model, str(target))
    (tmp_path / "tokenizer.json").write_bytes((source / "tokenizer.json").read_bytes())
    return target


def test_expose_pooled_adds_the_head_input_as_an_output(tmp_path: Path) -> None:
    from groundswell.enrichment.model.runtime import OnnxTextModel
    from groundswell.training.intent_head import POOLED_OUTPUT, expose_pooled

    expose_pooled(_graph_without_pooled(tmp_path))
    net = OnnxTextModel("m.onnx", max_length=64, directory=str(tmp_path))
    assert net.output_names == ["sentiment_logits", "intent_logits", POOLED_OUTPUT]
    outputs = net.run(net.encode(["@user great crew, thanks"]).ids)
    assert outputs[2].shape == (1, 384)


def test_expose_pooled_with_a_lower_layer_appends_its_masked_mean(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from groundswell.enrichment.model.runtime import OnnxTextModel
    from groundswell.training.intent_head import expose_pooled

    plain_dir, both_dir = tmp_path / "plain", tmp_path / "both"
    plain_dir.mkdir()
    both_dir.mkdir()
    expose_pooled(_graph_without_pooled(plain_dir))
    expose_pooled(_graph_without_pooled(both_dir), lower_layer=3)
    layer3 = "/encoder/encoder/layer.3/output/LayerNorm/LayerNormalization_output_0"
    model = onnx.load(str(both_dir / "m.onnx"))  # also return layer 3 itself, to check
    model.graph.output.append(
        onnx.helper.make_tensor_value_info(layer3, onnx.TensorProto.FLOAT, ["b", "t", 384])
    )
    onnx.save(model, str(both_dir / "m.onnx"))
    plain = OnnxTextModel("m.onnx", max_length=64, directory=str(plain_dir))
    both = OnnxTextModel("m.onnx", max_length=64, directory=str(both_dir))
    encoded = both.encode(["I want to book a flight to Denver next week", "ok"])
    plain_out, both_out = plain.run(encoded.ids), both.run(encoded.ids)
    assert both_out[2].shape == (2, 768)
    np.testing.assert_array_equal(both_out[0], plain_out[0])  # sentiment untouched
    np.testing.assert_allclose(both_out[2][:, :384], plain_out[2], atol=1e-6)
    lengths = [len(ids) for ids in encoded.ids]
    mask = np.zeros((2, max(lengths), 1), np.float32)
    for row, length in enumerate(lengths):
        mask[row, :length] = 1.0
    expected = (both_out[3] * mask).sum(axis=1) / mask.sum(axis=1)
    np.testing.assert_allclose(both_out[2][:, 384:], expected, atol=1e-4)
    assert mask[1].sum() < mask[0].sum()  # the short text was padded, and padding is left out
    with pytest.raises(ValueError, match="no output of encoder layer 9"):
        expose_pooled(_graph_without_pooled(tmp_path), lower_layer=9)


def test_purchase_hand_labels_are_training_posts_only() -> None:
    from groundswell.training.purchase_labels import load_purchase_labels

    labels = load_purchase_labels()
    assert len(labels) == 260 and 20 <= sum(labels.values()) <= 60
    assert not set(labels) & held_out_keys()
    assert all(split_of(key) != "test" for key in labels)


def test_hand_purchase_label_replaces_the_weak_one() -> None:
    from groundswell.training.intent_head import with_purchase_labels

    every = tuple(INTENT_LABELS)
    items = [
        ("airline:1", "a", ("complaint", "purchase_intent"), every),
        ("airline:2", "b", ("support_question",), every),
        ("airline:3", "c", ("purchase_intent",), every),
    ]
    out = with_purchase_labels(items, {"airline:1": False, "airline:2": True})
    assert [intents for _, _, intents, _ in out] == [
        ("complaint",),
        ("support_question", "purchase_intent"),
        ("purchase_intent",),
    ]
