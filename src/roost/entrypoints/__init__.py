"""Entry points: HTTP, workers and the CLI. Nothing imports from here."""
