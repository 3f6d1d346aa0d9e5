"""Errors a broker adapter raises on purpose.

They live apart from the protocol so callers (worker loop, CLI, health checks) can catch
them without importing a particular adapter or its client library.
"""

from __future__ import annotations

from groundswell.core.errors import GroundswellError


class BrokerUnavailableError(GroundswellError):
    """The broker could not be reached; the operation may be retried once it is back."""
