"""Hidden states of the frozen lower layers, computed once before fine-tuning.

The embeddings (and any encoder layers left frozen) never change during training, so
their output for each training post is computed once, through the same int8 ONNX kernels
that run in production, and only the layers above and the heads are trained on it,
epoch after epoch. With ``--trainable-layers 6`` (a full fine-tune above the
embeddings) that is the embeddings alone, whose graph takes no attention mask.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

CACHE_BATCH = 64


class LowerLayers(nn.Module):
    """Embeddings and the first ``count`` transformer layers of an encoder."""

    def __init__(self, encoder: Any, count: int) -> None:
        super().__init__()
        self.embeddings = encoder.embeddings
        self.layers = nn.ModuleList(encoder.encoder.layer[:count])

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.embeddings(input_ids=input_ids)
        additive = additive_mask(attention_mask, hidden.dtype)
        for layer in self.layers:
            hidden = layer(hidden, attention_mask=additive)[0]
        return hidden


def additive_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Padding mask in the additive (batch, 1, 1, tokens) form attention layers take."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * -10000.0


def lower_states(encoder: Any, count: int, ids: Sequence[Sequence[int]]) -> list[np.ndarray]:
    """Per example, the (tokens × hidden) float16 output of the first ``count`` layers."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    module = LowerLayers(encoder, count).eval()
    sample = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    axes = {"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"}}
    with tempfile.TemporaryDirectory() as tmp:
        raw, small = Path(tmp) / "lower.onnx", Path(tmp) / "lower.int8.onnx"
        with torch.no_grad():
            torch.onnx.export(
                module,
                sample,
                str(raw),
                input_names=["input_ids", "attention_mask"],
                output_names=["hidden"],
                dynamic_axes={**axes, "hidden": {0: "b", 1: "t"}},
                opset_version=17,
                dynamo=False,
            )
        quantize_dynamic(str(raw), str(small), weight_type=QuantType.QInt8)
        session = ort.InferenceSession(str(small), providers=["CPUExecutionProvider"])
    # With no frozen layer the graph is the embeddings alone and takes no mask.
    takes_mask = any(i.name == "attention_mask" for i in session.get_inputs())
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    states: list[np.ndarray] = [np.zeros((0, 0), np.float16)] * len(ids)
    for start in range(0, len(order), CACHE_BATCH):
        chosen = order[start : start + CACHE_BATCH]
        width = max(len(ids[i]) for i in chosen)
        input_ids = np.zeros((len(chosen), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, i in enumerate(chosen):
            input_ids[row, : len(ids[i])] = ids[i]
            mask[row, : len(ids[i])] = 1
        feed = (
            {"input_ids": input_ids, "attention_mask": mask}
            if takes_mask
            else {"input_ids": input_ids}
        )
        (hidden,) = session.run(None, feed)
        for row, i in enumerate(chosen):
            states[i] = hidden[row, : len(ids[i])].astype(np.float16)
    return states
