"""A model that follows the store's active version, so promotion needs no restart.

Workers hold one ``ReloadingModel``. Before each batch it looks at the store's ``active``
marker, at most every ``CHECK_EVERY_S`` seconds (one small file read); when the marker
names another version, that version is loaded and replaces the current one for the next
batch. A version that fails to load is logged and the current model keeps scoring, so a
broken promotion never stops the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from groundswell.enrichment.base import Sentiment
from groundswell.enrichment.model.classifier import Prediction, SentimentIntentModel
from groundswell.enrichment.model.store import SHIPPED, ModelStore

logger = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0

Loader = Callable[[str | None], SentimentIntentModel]


class ReloadingModel:
    """``SentimentIntentModel``'s interface, backed by the store's active version."""

    name = "minilm-sent"

    def __init__(
        self,
        store: ModelStore,
        *,
        check_every: float = CHECK_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        loader: Loader = SentimentIntentModel,
        shipped: SentimentIntentModel | None = None,
    ) -> None:
        self.store = store
        self._check_every = check_every
        self._clock = clock
        self._loader = loader
        self._lock = threading.Lock()
        self._marker = store.marker()
        self.number = store.active()
        self._shipped = shipped
        self._model = self._load(self.number)
        self.version: str = self._model.version
        self.intent_version: str = getattr(self._model, "intent_version", self.version)
        self._checked_at = clock()

    @property
    def model(self) -> SentimentIntentModel:
        return self._model

    def refresh(self, *, force: bool = False) -> bool:
        """Load the active version if it changed; ``True`` when the model was swapped."""
        now = self._clock()
        if not force and now - self._checked_at < self._check_every:
            return False
        with self._lock:
            self._checked_at = now
            marker = self.store.marker()
            if marker == self._marker:
                return False
            number = self.store.active()
            try:
                model = self._load(number)
            except Exception:
                logger.exception("could not load model version %s; keeping %s", number, self.number)
                self._marker = marker  # do not retry a broken version on every batch
                return False
            self._model, self.number, self._marker = model, number, marker
            self.version = model.version
            self.intent_version = getattr(model, "intent_version", model.version)
            logger.info("now scoring with model version %s (%s)", number, model.version)
            return True

    def _load(self, number: int) -> SentimentIntentModel:
        """The model of version ``number``; the shipped one is reused if already loaded."""
        if number == SHIPPED and self._shipped is not None:
            return self._shipped
        return self._loader(self.store.directory(number))

    def predict_many(self, texts: Sequence[str]) -> list[Prediction]:
        self.refresh()
        return self._model.predict_many(texts)

    def analyze(self, text: str) -> Sentiment:
        return self.predict_many([text])[0].sentiment


_shared: dict[Path, ReloadingModel] = {}
_shared_lock = threading.Lock()


def shared_reloading_model(
    root: str | Path, *, shipped: SentimentIntentModel | None = None
) -> ReloadingModel:
    """One reloading model per store folder and process (loading one takes a second).

    ``shipped``, the process's already loaded shipped model, serves version 1.
    """
    key = Path(root).resolve()
    with _shared_lock:
        if key not in _shared:
            _shared[key] = ReloadingModel(ModelStore(key), shipped=shipped)
        return _shared[key]
