"""YouTube: comment threads on the channel's videos in; replies out (Data API v3)."""
