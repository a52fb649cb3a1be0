"""In-process adapters for the embedded mode: caches, rate limits, event wake-ups."""
