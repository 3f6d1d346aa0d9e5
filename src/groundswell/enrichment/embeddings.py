"""Sentence embeddings for grouping similar posts, from the shipped base MiniLM encoder.

The file is all-MiniLM-L6-v2 exactly as published (not the sentiment fine-tune, whose
vectors are bent towards sentiment), exported to int8 ONNX with sentence-transformers'
mean pooling and L2 normalisation inside the graph. Cosine similarity is then a dot
product. Texts are cut at 128 tokens: the model was trained on that length.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from groundswell.enrichment.model.runtime import OnnxTextModel

EMBEDDING_FILE = "minilm-l6-v2-base.int8.onnx"
EMBEDDING_DIM = 384
MAX_TOKENS = 128
EMBEDDINGS_VERSION = "all-minilm-l6-v2-int8"

_lock = threading.Lock()
_model: OnnxTextModel | None = None


def _encoder() -> OnnxTextModel:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = OnnxTextModel(EMBEDDING_FILE, max_length=MAX_TOKENS)
    return _model


def embed(texts: Sequence[str]) -> np.ndarray:
    """An ``n × 384`` float32 matrix of unit vectors, one row per text, in order.

    Texts are embedded as written (no placeholder rewriting): for clustering, the names
    and words people use are the signal. Empty or non-string texts get the encoder's
    vector for an empty sentence, so every row is defined.
    """
    cleaned = [t if isinstance(t, str) else "" for t in texts]
    if not cleaned:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = _encoder()
    (vectors,) = model.run(model.encode(cleaned).ids)
    return np.ascontiguousarray(vectors, dtype=np.float32)
