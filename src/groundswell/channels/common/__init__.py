"""Helpers every network package shares: backoff, signatures, bounded payloads, stand-ins."""
