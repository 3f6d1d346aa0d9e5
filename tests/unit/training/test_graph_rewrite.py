"""Splitting fused skip-layer-norms: the same function, and the shipped graph is split."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from groundswell.enrichment.model.runtime import UNFUSED
from groundswell.training.graph_rewrite import FUSED_OP, split_file, split_skip_layer_norms

WIDTH = 16


def fused_graph(*, bias: bool, keep_sum: bool, epsilon: float = 1e-5) -> onnx.ModelProto:
    """``SkipLayerNormalization(x, skip, gamma, beta[, bias])`` then a Relu on its output."""
    rng = np.random.default_rng(3)
    initializers = [
        numpy_helper.from_array(rng.normal(1, 0.2, WIDTH).astype(np.float32), "gamma"),
        numpy_helper.from_array(rng.normal(0, 0.2, WIDTH).astype(np.float32), "beta"),
        numpy_helper.from_array(rng.normal(0, 0.5, WIDTH).astype(np.float32), "bias"),
    ]
    inputs = ["x", "skip", "gamma", "beta"] + (["bias"] if bias else [])
    outputs = ["normed"] + (["", "", "summed"] if keep_sum else [])
    nodes = [
        helper.make_node(
            FUSED_OP, inputs, outputs, name="sln", domain="com.microsoft", epsilon=epsilon
        ),
        helper.make_node("Relu", ["normed"], ["y"], name="relu"),
    ]
    shape = ["batch", "tokens", WIDTH]
    graph_outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)]
    if keep_sum:
        graph_outputs.append(helper.make_tensor_value_info("summed", TensorProto.FLOAT, shape))
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, shape),
            helper.make_tensor_value_info("skip", TensorProto.FLOAT, shape),
        ],
        graph_outputs,
        initializers,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
    )


def run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return [np.asarray(o) for o in session.run(None, feeds)]


@pytest.mark.parametrize(("bias", "keep_sum"), [(True, False), (False, False), (True, True)])
def test_split_computes_what_the_fused_node_computes(bias: bool, keep_sum: bool) -> None:
    rng = np.random.default_rng(7)
    feeds = {
        "x": rng.normal(0, 2, (3, 5, WIDTH)).astype(np.float32),
        "skip": rng.normal(0, 2, (3, 5, WIDTH)).astype(np.float32),
    }
    model = fused_graph(bias=bias, keep_sum=keep_sum)
    expected = run(model, feeds)

    assert split_skip_layer_norms(model) == 1
    ops = [n.op_type for n in model.graph.node]
    assert FUSED_OP not in ops
    assert ops.count("LayerNormalization") == 1
    assert ops.count("Add") == (2 if bias else 1)
    onnx.checker.check_model(model)
    got = run(model, feeds)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_the_fused_nodes_epsilon_is_kept() -> None:
    model = fused_graph(bias=True, keep_sum=False, epsilon=0.25)
    split_skip_layer_norms(model)
    norm = next(n for n in model.graph.node if n.op_type == "LayerNormalization")
    assert [a.f for a in norm.attribute if a.name == "epsilon"] == [0.25]


def test_a_graph_without_the_fused_node_is_left_as_it_was(tmp_path: Path) -> None:
    model = fused_graph(bias=True, keep_sum=False)
    split_skip_layer_norms(model)
    before = model.SerializeToString()
    assert split_skip_layer_norms(model) == 0
    assert model.SerializeToString() == before
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    assert split_file(path, path) == 0


@pytest.mark.parametrize("name", ["sentiment-intent.int8.onnx", "minilm-l6-v2-base.int8.onnx"])
def test_the_shipped_models_are_split_and_stay_split_once_loaded(name: str, tmp_path: Path) -> None:
    """The run time must not fuse the nodes again: its options name the fusion to skip."""
    source = Path(str(resources.files("groundswell.enrichment.model").joinpath("data")))
    shipped = onnx.load(str(source / name))
    ops = [n.op_type for n in shipped.graph.node]
    assert FUSED_OP not in ops and ops.count("LayerNormalization") == 12

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.optimized_model_filepath = str(tmp_path / "optimised.onnx")
    ort.InferenceSession(
        str(source / name),
        options,
        providers=["CPUExecutionProvider"],
        disabled_optimizers=UNFUSED,
    )
    optimised = onnx.load(str(tmp_path / "optimised.onnx"))
    assert FUSED_OP not in [n.op_type for n in optimised.graph.node]
