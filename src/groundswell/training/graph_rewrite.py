"""Split ONNX Runtime's fused skip-layer-norm back into an addition and a layer norm.

ONNX Runtime's transformer optimiser fuses each residual connection and the layer norm
after it into one ``SkipLayerNormalization`` node. From onnxruntime 1.30 on, that
kernel is about four times slower on the CPU than the plain ``Add`` and the standard
``LayerNormalization`` it replaces, for the shapes a 384-wide encoder gives (64 posts of
~30 tokens): on the shipped model it took 21 % of inference (713 ms of 3,400 for 2,000
posts) against 7 % for the split nodes (`make bench` → ``bench.model_graph`` compares
both graphs side by side). The rest of the fusion (attention, GELU, int8 matrix
products) is kept. The split computes the same function; the floating-point rounding of
the normalisation differs, so outputs move by rounding amounts (the evaluation figures
are re-measured on the split graph).

Only the ``onnx`` package is needed, which the training extra installs; the run time
never rewrites a graph, it loads the file written here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FUSED_OP = "SkipLayerNormalization"
DEFAULT_EPSILON = 1e-12
"""``SkipLayerNormalization``'s own default; ``LayerNormalization`` would use 1e-5."""


def split_skip_layer_norms(model: Any) -> int:
    """Replace every ``SkipLayerNormalization`` in ``model`` (an ``onnx.ModelProto``).

    ``input + skip (+ bias)`` becomes one or two ``Add`` nodes and the normalisation a
    ``LayerNormalization`` over the last axis with the fused node's epsilon. A fused
    node that also returns the sum (its optional fourth output) gets an ``Identity`` to
    keep that name. Returns how many nodes were split.
    """
    from onnx import helper

    graph = model.graph
    rewritten: list[Any] = []
    count = 0
    for node in graph.node:
        if node.op_type != FUSED_OP:
            rewritten.append(node)
            continue
        count += 1
        inputs = list(node.input)
        outputs = list(node.output)
        epsilon = next((a.f for a in node.attribute if a.name == "epsilon"), DEFAULT_EPSILON)
        total = f"{node.name}/sum"
        rewritten.append(helper.make_node("Add", inputs[:2], [total], name=f"{node.name}/add"))
        if len(inputs) > 4 and inputs[4]:
            biased = f"{node.name}/sum_bias"
            rewritten.append(
                helper.make_node("Add", [total, inputs[4]], [biased], name=f"{node.name}/bias")
            )
            total = biased
        if len(outputs) > 3 and outputs[3]:
            rewritten.append(
                helper.make_node("Identity", [total], [outputs[3]], name=f"{node.name}/keep_sum")
            )
        scale_and_shift = inputs[2:4] if len(inputs) > 3 and inputs[3] else inputs[2:3]
        rewritten.append(
            helper.make_node(
                "LayerNormalization",
                [total, *scale_and_shift],
                [outputs[0]],
                name=f"{node.name}/norm",
                axis=-1,
                epsilon=epsilon,
            )
        )
    if count:
        del graph.node[:]
        graph.node.extend(rewritten)
    return count


def split_file(source: Path, target: Path) -> int:
    """Rewrite the ONNX file ``source`` into ``target`` (they may be the same path)."""
    import onnx

    model = onnx.load(str(source))
    count = split_skip_layer_norms(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))
    return count
