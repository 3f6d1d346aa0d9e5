"""Bluesky (AT Protocol): mentions, replies and keyword search in; replies as post records out."""
