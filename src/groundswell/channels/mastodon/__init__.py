"""Mastodon: mentions, hashtags and direct messages in; replies and DMs out (per instance)."""
