"""From a PyTorch module to the small int8 ONNX file that ships.

ONNX Runtime's transformer optimiser fuses attention, layer norms and GELU into single
kernels, then dynamic int8 quantisation of the weights makes the file four times smaller
and the matrix products faster on CPU; last, the fused skip-layer-norms are split again,
as their kernel is slower than the parts (``graph_rewrite``). Every step is run here, at
training time, so the run-time needs nothing but ``onnxruntime``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from torch import nn

from groundswell.training.graph_rewrite import split_file


def export_int8(
    module: nn.Module,
    output: Path,
    output_names: list[str],
    *,
    heads: int,
    hidden: int,
    per_channel: bool = False,
) -> Path:
    """Write ``module`` (inputs ``input_ids``, ``attention_mask``) as fused int8 ONNX."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    module.eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    mask = torch.ones(2, 16, dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    axes.update({name: {0: "batch"} for name in output_names})
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        fused = Path(tmp) / "fused.onnx"
        with torch.no_grad():
            torch.onnx.export(
                module,
                (ids, mask),
                str(raw),
                input_names=["input_ids", "attention_mask"],
                output_names=output_names,
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        optimized = optimizer.optimize_model(
            str(raw), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=1
        )
        optimized.save_model_to_file(str(fused))
        output.parent.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(
            str(fused),
            str(output),
            weight_type=QuantType.QInt8,
            per_channel=per_channel,
            extra_options={"DefaultTensorType": 1},
        )
    split_file(output, output)
    return output


BASE_ENCODER_FILE = "minilm-l6-v2-base.int8.onnx"


def export_base_encoder(output_dir: Path) -> Path:
    """The unchanged all-MiniLM-L6-v2 sentence encoder (mean pooling, L2 norm) as int8."""
    from groundswell.training.network import SentenceEncoder, load_encoder

    encoder = load_encoder()
    return export_int8(
        SentenceEncoder(encoder),
        output_dir / BASE_ENCODER_FILE,
        ["embedding"],
        heads=int(encoder.config.num_attention_heads),
        hidden=int(encoder.config.hidden_size),
        per_channel=True,
    )
