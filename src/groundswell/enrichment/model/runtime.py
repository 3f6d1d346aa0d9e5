"""Run an exported ONNX text model on CPU: tokenise, batch by length, collect outputs.

Posts vary from three tokens to the limit; padding a batch to its longest member wastes
most of the work, so texts are sorted by token count and cut into batches of similar
length, then results are put back in the caller's order. Only ``onnxruntime``,
``tokenizers`` and NumPy are needed: no PyTorch at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from groundswell.enrichment.model.artifacts import read_bytes, read_text

CHARS_PER_TOKEN = 12
BATCH_SIZE = 64
"""Larger batches gain nothing on two cores and cost memory on long texts."""
UNFUSED = ["SkipLayerNormFusion"]
"""Fusions ONNX Runtime must not redo: the shipped graph splits them on purpose, as
their fused kernel is the slower one (``groundswell.training.graph_rewrite``)."""


@dataclass(frozen=True, slots=True)
class Encoded:
    """Token ids of a batch of texts, and which of them were cut at the token limit."""

    ids: list[list[int]]
    truncated: list[bool]


class OnnxTextModel:
    """An ONNX graph that takes ``input_ids`` and ``attention_mask`` (int64, batch × length).

    Built once per process: creating the session parses and optimises the graph, which
    takes a second or more.
    """

    def __init__(
        self,
        model_file: str,
        *,
        max_length: int,
        tokenizer_file: str = "tokenizer.json",
        directory: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.max_length = max_length
        self._tokenizer = Tokenizer.from_str(read_text(tokenizer_file, directory))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        if threads is not None:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            read_bytes(model_file, directory),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=UNFUSED,
        )
        self.output_names = [o.name for o in self._session.get_outputs()]

    def encode(self, texts: Sequence[str]) -> Encoded:
        """Token ids, cut at ``max_length``; texts are first cut at a character bound.

        A WordPiece token covers at least one character, so ``CHARS_PER_TOKEN`` characters
        per token is far more than the limit needs, and tokenising a 100,000-character
        paste in full would only be thrown away. Lone surrogates (invalid UTF-16 halves
        some APIs let through) are replaced: the tokenizer refuses them.
        """
        limit = self.max_length * CHARS_PER_TOKEN
        safe = [t[:limit].encode("utf-8", "replace").decode("utf-8") for t in texts]
        encodings = self._tokenizer.encode_batch(safe)
        return Encoded(
            ids=[e.ids for e in encodings],
            truncated=[
                bool(e.overflowing) or len(t) > limit for e, t in zip(encodings, texts, strict=True)
            ],
        )

    def run(self, ids: Sequence[Sequence[int]]) -> list[np.ndarray]:
        """Every output of the graph for each token sequence, rows in input order."""
        n = len(ids)
        if n == 0:
            return [np.zeros((0,), np.float32) for _ in self.output_names]
        order = sorted(range(n), key=lambda i: len(ids[i]))
        results: list[np.ndarray | None] = [None] * len(self.output_names)
        for start in range(0, n, BATCH_SIZE):
            chosen = order[start : start + BATCH_SIZE]
            width = max(len(ids[i]) for i in chosen)
            input_ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.int64)
            for row, i in enumerate(chosen):
                input_ids[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            outputs = self._session.run(None, {"input_ids": input_ids, "attention_mask": mask})
            for k, out in enumerate(outputs):
                array = np.asarray(out)
                if results[k] is None:
                    results[k] = np.empty((n, *array.shape[1:]), dtype=array.dtype)
                target = results[k]
                assert target is not None
                target[chosen] = array
        return [r for r in results if r is not None]
