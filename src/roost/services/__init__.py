"""Use cases. Each service depends on ports only; bootstrap.py hands it the adapters."""
