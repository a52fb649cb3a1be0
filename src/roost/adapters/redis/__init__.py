"""Scaled mode's fast layer in Redis: home feeds, the tweet cache, event streams, rate limits."""
