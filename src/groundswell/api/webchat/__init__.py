"""The web chat widget's public endpoints (``/chat/v1``): no login, a token per visitor."""
