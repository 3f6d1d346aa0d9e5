"""The shipped model's graph against its fused form: model-only throughput, side by side.

The shipped ``sentiment-intent.int8.onnx`` has its skip-layer-norms split into ``Add``
and ``LayerNormalization`` (``groundswell.training.graph_rewrite``). This rebuilds the
fused form from it (each split group back into one ``SkipLayerNormalization``, as ONNX
Runtime's transformer optimiser writes it) and times ``SentimentIntentModel.predict_many``
on the airline set's distinct texts with each graph, alternately in the same process, so
the figures share the machine's state; then the same for the drill-down's sentence
encoder (``minilm-l6-v2-base.int8.onnx``, split the same way). It also prints the
installed onnxruntime, the share of inference the normalisations take in each graph
(ONNX Runtime's own profiler), how much the two graphs' calibrated probabilities differ
and the cosine between the encoder's two vectors of each text.

Command: ``python -m bench.model_graph`` (part of ``make bench``).
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

from bench import machine
from bench.data import DEFAULT_SOURCE, load_base_posts
from bench.rounds import print_rounds
from groundswell.enrichment import embeddings
from groundswell.enrichment.model.artifacts import read_bytes
from groundswell.enrichment.model.classifier import SentimentIntentModel
from groundswell.enrichment.model.runtime import UNFUSED

MODEL_FILE = "sentiment-intent.int8.onnx"
LABELS = ("negative", "neutral", "positive")
EMBEDDED_TEXTS = 2000
NORM_OPS = {"SkipLayerNormalization", "LayerNormalization", "Add"}


def fuse(model: Any) -> int:
    """Put each group ``<name>/add``, ``/bias``, ``/keep_sum``, ``/norm`` back into one node."""
    groups: dict[str, dict[str, Any]] = collections.defaultdict(dict)
    for node in model.graph.node:
        prefix, _, part = node.name.rpartition("/")
        if part in {"add", "bias", "keep_sum", "norm"} and prefix:
            groups[prefix][part] = node
    rebuilt: list[Any] = []
    for node in model.graph.node:
        prefix, _, part = node.name.rpartition("/")
        group = groups.get(prefix)
        if group is None or "norm" not in group or "add" not in group:
            rebuilt.append(node)
            continue
        if part != "norm":
            continue
        norm, add = group["norm"], group["add"]
        inputs = [*add.input, *norm.input[1:3]]
        if "bias" in group:
            inputs.append(group["bias"].input[1])
        outputs = [norm.output[0]]
        if "keep_sum" in group:
            outputs += ["", "", group["keep_sum"].output[0]]
        epsilon = next(a.f for a in norm.attribute if a.name == "epsilon")
        rebuilt.append(
            helper.make_node(
                "SkipLayerNormalization",
                inputs,
                outputs,
                name=prefix,
                domain="com.microsoft",
                epsilon=epsilon,
            )
        )
    count = sum(1 for g in groups.values() if "norm" in g and "add" in g)
    del model.graph.node[:]
    model.graph.node.extend(rebuilt)
    return count


def session(path: Path | bytes, *, profile: str | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if profile:
        options.enable_profiling = True
        options.profile_file_prefix = profile
    source = str(path) if isinstance(path, Path) else path
    return ort.InferenceSession(
        source, options, providers=["CPUExecutionProvider"], disabled_optimizers=UNFUSED
    )


def norm_share(model: SentimentIntentModel, source: Path | bytes, ids: list[list[int]]) -> float:
    """Share of kernel time spent in additions and layer norms, by ONNX Runtime's profiler."""
    with tempfile.TemporaryDirectory() as tmp:
        profiled = session(source, profile=str(Path(tmp) / "profile"))
        model._net._session = profiled
        model._net.run(ids)
        events = json.loads(Path(profiled.end_profiling()).read_text())
    by_op: collections.Counter[str] = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            by_op[event["args"]["op_name"]] += event["dur"]
    return sum(v for k, v in by_op.items() if k in NORM_OPS) / max(sum(by_op.values()), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--texts", type=int, default=4000, help="distinct texts (1-14,000)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (1-50)")
    args = parser.parse_args()
    if not 1 <= args.texts <= 14_000 or not 1 <= args.rounds <= 50:
        parser.error("--texts must be 1-14,000 and --rounds 1-50")
    texts = list(dict.fromkeys(p.text for p in load_base_posts(args.source)))[: args.texts]

    model = SentimentIntentModel()
    split_bytes = read_bytes(MODEL_FILE, None)
    fused_model = onnx.load_from_string(split_bytes)
    fused_count = fuse(fused_model)
    fused_bytes = fused_model.SerializeToString()
    graphs = {
        "fused skip-layer-norm": session(fused_bytes),
        "split (shipped)": session(split_bytes),
    }
    ids = model._net.encode(texts).ids
    shares = {
        name: norm_share(model, src, ids)
        for name, src in (("fused skip-layer-norm", fused_bytes), ("split (shipped)", split_bytes))
    }

    probabilities: dict[str, np.ndarray] = {}
    for name, graph in graphs.items():
        model._net._session = graph
        model.predict_many(texts[:200])
        probabilities[name] = np.array(
            [[p.probabilities.get(k, 0.0) for k in LABELS] for p in model.predict_many(texts)]
        )
    times: dict[str, list[float]] = {name: [] for name in graphs}
    for _ in range(args.rounds):
        for name, graph in graphs.items():
            model._net._session = graph
            started = time.perf_counter()
            model.predict_many(texts)
            times[name].append(time.perf_counter() - started)

    print(f"Machine: {machine.cpu_model()}, load {machine.load()}, commit {machine.commit()}")
    print(
        f"onnxruntime {ort.__version__}; {len(texts):,} distinct airline texts, "
        f"{args.rounds} alternating rounds; {fused_count} skip-layer-norms re-fused\n"
    )
    medians = print_rounds("graph (predict_many)", times, items=len(texts), rate_label="posts/s")
    print("\n| graph | additions and layer norms, share of kernel time |")
    print("|---|---:|")
    for name, share in shares.items():
        print(f"| {name} | {100 * share:.1f} % |")
    fused, split = probabilities["fused skip-layer-norm"], probabilities["split (shipped)"]
    same = float(np.mean(fused.argmax(axis=1) == split.argmax(axis=1)))
    print(
        f"\nsplit / fused: {medians['fused skip-layer-norm'] / medians['split (shipped)']:.2f}x "
        f"the posts per second; same label on {100 * same:.1f} % of texts, largest "
        f"probability difference {float(np.abs(fused - split).max()):.3f}"
    )
    embeddings_side_by_side(texts[:EMBEDDED_TEXTS], args.rounds)


def embeddings_side_by_side(texts: list[str], rounds: int) -> None:
    """The drill-down's sentence encoder (up to 128 tokens a text), both graphs alternately."""
    encoder = embeddings._encoder()
    split_bytes = read_bytes(embeddings.EMBEDDING_FILE, None)
    fused_model = onnx.load_from_string(split_bytes)
    fuse(fused_model)
    graphs = {
        "fused skip-layer-norm": session(fused_model.SerializeToString()),
        "split (shipped)": session(split_bytes),
    }
    ids = encoder.encode(texts).ids
    vectors: dict[str, np.ndarray] = {}
    times: dict[str, list[float]] = {name: [] for name in graphs}
    for _ in range(rounds):
        for name, graph in graphs.items():
            encoder._session = graph
            started = time.perf_counter()
            vectors[name] = encoder.run(ids)[0]
            times[name].append(time.perf_counter() - started)
    print(
        f"\nThe drill-down's sentence encoder ({embeddings.EMBEDDING_FILE}), {len(texts):,} texts\n"
    )
    medians = print_rounds("graph (encoder run)", times, items=len(texts), rate_label="texts/s")
    cosine = (vectors["fused skip-layer-norm"] * vectors["split (shipped)"]).sum(axis=1)
    print(
        f"\nsplit / fused: {medians['fused skip-layer-norm'] / medians['split (shipped)']:.2f}x "
        f"the texts per second; cosine of the two graphs' vectors: lowest {cosine.min():.4f}, "
        f"mean {cosine.mean():.4f}"
    )


if __name__ == "__main__":
    main()
