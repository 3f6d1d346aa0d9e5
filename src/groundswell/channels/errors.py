"""Errors a ``Source`` raises while reading, so the runner can tell what to do next.

``send_reply`` has ``SendError``; reading needs the same split plus one more case: a
network that refuses our credentials is not retried at all, the channel shows "needs
re-auth" until an admin fixes it.
"""

from __future__ import annotations


class SourceError(Exception):
    """Reading failed. ``retryable`` errors back off and try again."""

    def __init__(self, reason: str, *, retryable: bool = True, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class NeedsReauth(SourceError):
    """The network refused the credentials (HTTP 401, IMAP/SMTP login failure)."""

    def __init__(self, reason: str):
        super().__init__(reason, retryable=False)
