"""The benchmarks measure capacity, not the rate limits: every limit set far above any load
(the load comes from one address, with few tokens). The limits' own cost is still paid."""

from __future__ import annotations

from roost.settings import Settings

UNLIMITED: dict[str, int] = {
    name: 10**9 for name in Settings.model_fields if name.startswith("rate_limit_")
}


def unlimited_env() -> dict[str, str]:
    """UNLIMITED as ROOST_* variables."""
    return {f"ROOST_{name.upper()}": str(value) for name, value in UNLIMITED.items()}
