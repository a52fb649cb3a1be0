"""`make bench-smoke`: the HTTP benchmark end to end, briefly, so that it never rots."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import REDIS_URL

from .support import POSTGRES_ADMIN_URL, REPO_ROOT

# About 30 s on a quiet machine; the ceiling only catches a hang (a busy machine is slow).
SMOKE_SECONDS = 600


def test_make_bench_smoke_measures_every_scenario() -> None:
    out = REPO_ROOT / "bench-results" / "smoke"
    for name in ("http.json", "http.png"):
        (out / name).unlink(missing_ok=True)
    server = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/postgres"
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "bench-smoke",
            f"BENCH_DATABASE_URL={server}",
            f"BENCH_REDIS_URL={REDIS_URL}",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=SMOKE_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "budget, scaled mode:" in done.stdout
    record = json.loads((out / "http.json").read_text())
    (mode,) = record["modes"]
    scenarios = {(row["scenario"], row["connections"]) for row in mode["rows"]}
    assert ("GET /feed?limit=50", 64) in scenarios
    assert ("GET /feed?limit=50", 8) in scenarios
    assert {
        "hello world",
        "bare feed, 1 round trip",
        "GraphQL feed",
        "POST /tweet",
        "POST /tweet, paced",
    } <= {scenario for scenario, _ in scenarios}
    assert all(row["requests_per_second"] > 0 for row in mode["rows"])
    assert mode["lag"]["posts_observed"] > 0
    assert mode["paced_lag"]["posts_observed"] > 0
    assert (out / "http.png").stat().st_size > 0
