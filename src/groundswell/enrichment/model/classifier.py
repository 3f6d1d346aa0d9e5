"""The shipped sentiment-and-intent model: calibrated probabilities for every post.

One encoder pass gives two sets of logits. Sentiment logits are divided by the
temperature fitted on validation data, then softmaxed, so ``confidence`` means what it
says. Intent logits go through a sigmoid each (a post can be a complaint *and* a support
question); an intent counts when its probability reaches that class's threshold, chosen
on validation data for the best F1.

A model may ship a separate intent head (``files.intent_head`` in its metadata: weights
and bias of six logistic regressions over the graph's ``pooled`` sentence vector, refit
after fine-tuning, see ``training.intent_head``); its logits then replace the graph's
own intent logits. The encoder pass is the same, so the cost is one small matrix product.
Such a model also names ``intent_rules`` in its metadata: a post matching a purchase or
churn phrase rule (``intent_rules``) gets that intent at no less than its threshold.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from groundswell.enrichment.base import SENTIMENT_LABELS, Sentiment
from groundswell.enrichment.model.artifacts import read_bytes, read_metadata
from groundswell.enrichment.model.calibration import sigmoid, softmax
from groundswell.enrichment.model.intent_rules import phrase_intents
from groundswell.enrichment.model.labels import INTENT_LABELS
from groundswell.enrichment.model.runtime import OnnxTextModel
from groundswell.enrichment.model.text import has_words, normalize, strip_names
from groundswell.enrichment.readable import UNREADABLE, is_readable

EMPTY_TEXT = "empty_text"
NO_WORDS = "no_words"
"""Only emoji, symbols, handles or links: the result rests on emoji alone."""
TRUNCATED = "truncated"


@dataclass(frozen=True, slots=True)
class Prediction:
    sentiment: Sentiment
    probabilities: dict[str, float]
    """Calibrated probability of each sentiment label; empty for empty text."""
    intent: str | None
    intents: dict[str, float]
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Logits:
    sentiment: np.ndarray
    intent: np.ndarray
    truncated: list[bool]


_EMPTY = Prediction(Sentiment(0.0, "neutral", None), {}, None, {}, (EMPTY_TEXT,))
_CHANCE = round(1 / len(SENTIMENT_LABELS), 4)


def _unreadable(flags: tuple[str, ...]) -> Prediction:
    """Neutral at chance: the model was given nothing it can read (see ``readable``)."""
    return Prediction(
        Sentiment(0.0, "neutral", _CHANCE),
        dict.fromkeys(SENTIMENT_LABELS, _CHANCE),
        None,
        {},
        (UNREADABLE, *flags),
    )


class SentimentIntentModel:
    """Loads the model files once and scores posts in batches."""

    name = "minilm-sent"

    def __init__(self, directory: str | None = None, *, threads: int | None = None) -> None:
        self.metadata: dict[str, Any] = read_metadata(directory)
        self.version: str = str(self.metadata["version"])
        self.temperature = float(self.metadata.get("temperature", 1.0))
        thresholds = self.metadata.get("intent_thresholds", {})
        self.thresholds = np.array([float(thresholds.get(n, 0.5)) for n in INTENT_LABELS])
        self._net = OnnxTextModel(
            str(self.metadata["files"]["model"]),
            max_length=int(self.metadata["max_length"]),
            tokenizer_file=str(self.metadata["files"]["tokenizer"]),
            directory=directory,
            threads=threads,
        )
        self._outputs = {name: k for k, name in enumerate(self._net.output_names)}
        self._head = self._load_head(directory)
        self.intent_rules = bool(self.metadata.get("intent_rules", False))
        self.intent_version: str = str(self.metadata.get("intent_version", self.version))
        """Stored as each post's intent version: changes when only the intent head does."""

    def _load_head(self, directory: str | None) -> tuple[np.ndarray, np.ndarray] | None:
        name = self.metadata.get("files", {}).get("intent_head")
        if not name:
            return None
        if "pooled" not in self._outputs:
            raise ValueError(f"intent head {name!r} needs a model graph with a 'pooled' output")
        with np.load(io.BytesIO(read_bytes(str(name), directory))) as data:
            weights = np.asarray(data["weights"], dtype=np.float32)
            bias = np.asarray(data["bias"], dtype=np.float32)
        if weights.shape[1:] != (len(INTENT_LABELS),) or bias.shape != (len(INTENT_LABELS),):
            raise ValueError(f"intent head {name!r} has shape {weights.shape}, {bias.shape}")
        return weights, bias

    def logits(self, texts: Sequence[str]) -> Logits:
        """Raw (uncalibrated) logits for already-normalised texts."""
        encoded = self._net.encode(texts)
        outputs = self._net.run(encoded.ids)
        sentiment = outputs[self._outputs["sentiment_logits"]]
        if self._head is not None and len(texts):
            weights, bias = self._head
            intent = outputs[self._outputs["pooled"]].astype(np.float32) @ weights + bias
        else:
            intent = outputs[self._outputs["intent_logits"]]
        return Logits(sentiment, intent, encoded.truncated)

    def intent_probabilities(self, texts: Sequence[str], intent_logits: np.ndarray) -> np.ndarray:
        """Intent probabilities of normalised texts from their logits, phrase rules applied.

        An intent is present when its probability reaches its threshold: a phrase rule
        raises the probability of the intent it finds to at least that threshold.
        """
        intent = sigmoid(intent_logits)
        if self.intent_rules:
            for row, text in enumerate(texts):
                for name in phrase_intents(text):
                    k = INTENT_LABELS.index(name)
                    intent[row, k] = max(intent[row, k], self.thresholds[k])
        return intent

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in order; empty texts get a fixed neutral result."""
        raw_texts = [t if isinstance(t, str) else "" for t in texts]
        cleaned = [normalize(t) for t in raw_texts]
        results: list[Prediction] = [_EMPTY] * len(cleaned)
        todo: list[int] = []
        has_own_words: dict[int, bool] = {}
        for i, text in enumerate(cleaned):
            if not text:
                continue
            own = strip_names(raw_texts[i])
            has_own_words[i] = has_words(own)
            if is_readable(normalize(own)):
                todo.append(i)
            else:
                results[i] = _unreadable(() if has_own_words[i] else (NO_WORDS,))
        if not todo:
            return results
        raw = self.logits([cleaned[i] for i in todo])
        sentiment = softmax(raw.sentiment, self.temperature)
        intent = self.intent_probabilities([cleaned[i] for i in todo], raw.intent)
        for row, i in enumerate(todo):
            flags = []
            if not has_own_words[i]:
                flags.append(NO_WORDS)
            if raw.truncated[row]:
                flags.append(TRUNCATED)
            results[i] = self._prediction(sentiment[row], intent[row], tuple(flags))
        return results

    def _prediction(
        self, probs: np.ndarray, intent: np.ndarray, flags: tuple[str, ...]
    ) -> Prediction:
        best = int(probs.argmax())
        score = float(probs[2] - probs[0])
        present = {
            INTENT_LABELS[k]: round(float(intent[k]), 4)
            for k in range(len(INTENT_LABELS))
            if intent[k] >= self.thresholds[k]
        }
        main = max(present, key=lambda name: present[name]) if present else None
        return Prediction(
            sentiment=Sentiment(
                score=round(score, 4),
                label=SENTIMENT_LABELS[best],
                confidence=round(float(probs[best]), 4),
            ),
            probabilities={SENTIMENT_LABELS[k]: float(probs[k]) for k in range(3)},
            intent=main,
            intents=present,
            flags=flags,
        )

    def analyze(self, text: str) -> Sentiment:
        """``SentimentAnalyzer`` for one text; prefer ``predict_many`` for batches."""
        return self.predict_many([text])[0].sentiment
