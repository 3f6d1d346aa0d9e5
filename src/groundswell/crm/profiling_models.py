"""Profiling links already answered, so each link is used once.

The token itself stays stateless (signed, expiring); only a used one leaves a row. The
key is a digest of the token's signed part, the exact text the signature covers, so a
re-encoded signature cannot make a used link look new. Rows older than the links' life
are pruned once the link has expired: its signature refuses it from then on anyway.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from groundswell.core.base import Base, UTCDateTime
from groundswell.core.clock import utcnow


class ProfilingLinkUse(Base):
    __tablename__ = "profiling_link_uses"
    __table_args__ = (Index("ix_profiling_link_uses_expires_at", "expires_at"),)

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 (hex) of the token's signed part."""
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
