"""The results of `roost bench http`: one table, the budget, JSON, a PNG chart, a docs row."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Row:
    scenario: str
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failed: int = 0
    floor: str | None = None  # the scenario this row is compared with
    rate_ratio: float | None = None  # req/s divided by the floor's
    p99_ratio: float | None = None  # p99 divided by the floor's


@dataclass
class WriteLag:
    """The fanout lag (a post's commit to its last follower's insert) over one write test."""

    posts_accepted: int = 0
    posts_observed: int = 0  # fanned out by the end of the test, or of the drain after it
    p50_ms: float | None = None
    p99_ms: float | None = None


@dataclass
class ModeResult:
    mode: str
    rows: list[Row] = field(default_factory=list)
    lag: WriteLag = field(default_factory=WriteLag)  # POST /tweet as fast as it is accepted
    paced_lag: WriteLag = field(default_factory=WriteLag)  # at the budget's rate

    def add(self, row: Row, floor: tuple[str, int] | None = None) -> Row:
        if floor is not None:
            base = self.row(*floor)
            row.floor = f"{base.scenario} @{base.connections}"
            row.rate_ratio = row.requests_per_second / max(base.requests_per_second, 1e-9)
            row.p99_ratio = row.p99_ms / max(base.p99_ms, 1e-9)
        self.rows.append(row)
        return row

    def row(self, scenario: str, connections: int = 64) -> Row:
        return next(
            row for row in self.rows if row.scenario == scenario and row.connections == connections
        )

    def budget(self) -> list[tuple[str, bool]]:
        """The performance budget (DESIGN.md section 10), checked on this mode's figures."""
        feed, feed8 = self.row(FEED), self.row(FEED, 8)
        checks = [
            ("GET /feed >= 5,000 req/s at 64 connections", feed.requests_per_second >= 5000),
            ("GET /feed p99 < 5 ms at 8 connections", feed8.p99_ms < 5.0),
            ("GET /feed >= 70% of the bare endpoint", (feed.rate_ratio or 0) >= 0.7),
            ("GraphQL feed >= 50% of REST", (self.row(GRAPHQL).rate_ratio or 0) >= 0.5),
            ("POST /tweet >= 1,000 posts/s", self.row(TWEET).requests_per_second >= POSTS),
        ]
        paced, lag = self.row(TWEET_PACED), self.paced_lag.p99_ms
        checks.append(
            (
                "fanout lag p99 < 1 s while 1,000 posts/s are accepted",
                paced.requests_per_second >= POSTS and lag is not None and lag < 1000,
            )
        )
        return checks


HELLO = "hello world"
BARE = "bare feed, 1 round trip"
STORE = "feed store call, no HTTP"
FEED = "GET /feed?limit=50"
GRAPHQL = "GraphQL feed"
TWEET = "POST /tweet"
TWEET_PACED = "POST /tweet, paced"
POSTS = 1000  # the budget's posts/s
FLOORS = (HELLO, BARE, STORE)


def format_table(results: list[ModeResult]) -> str:
    head = (
        f"{'mode':<9}| {'scenario':<26}| {'conns':>5} | {'req/s':>8} | {'p50 ms':>7} | "
        f"{'p99 ms':>7} | {'failed':>6} | {'floor':<26}| {'rate':>5} | {'p99':>5}"
    )
    lines = [head, "-" * len(head)]
    for result in results:
        for row in result.rows:
            lines.append(
                f"{result.mode:<9}| {row.scenario:<26}| {row.connections:>5} | "
                f"{row.requests_per_second:>8,.0f} | {row.p50_ms:>7.2f} | {row.p99_ms:>7.2f} | "
                f"{row.failed:>6} | {row.floor or '':<26}| "
                f"{_ratio(row.rate_ratio):>5} | {_ratio(row.p99_ratio):>5}"
            )
        for scenario, write in ((TWEET, result.lag), (TWEET_PACED, result.paced_lag)):
            lines.append(
                f"{result.mode:<9}| fanout lag during {scenario}: p50 {_ms(write.p50_ms)}, "
                f"p99 {_ms(write.p99_ms)} ({write.posts_observed:,} of "
                f"{write.posts_accepted:,} posts fanned out)"
            )
    for result in results:
        lines.append("")
        lines.append(f"budget, {result.mode} mode:")
        lines += [f"  {'ok  ' if met else 'MISS'} {name}" for name, met in result.budget()]
    return "\n".join(lines)


def write_json(results: list[ModeResult], settings: dict[str, object], path: Path) -> None:
    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": settings,
        "modes": [asdict(result) for result in results],
    }
    path.write_text(json.dumps(record, indent=2))


def write_chart(results: list[ModeResult], path: Path) -> bool:
    """False when matplotlib is missing (pip install 'roost[bench]')."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(1, len(results), figsize=(8 * len(results), 5), squeeze=False)
    for axis, result in zip(axes[0], results, strict=True):
        names = [f"{row.scenario}\n({row.connections} conns)" for row in result.rows]
        rates = [row.requests_per_second for row in result.rows]
        colours = ["#8c8c8c" if row.scenario in FLOORS else "#4c72b0" for row in result.rows]
        axis.barh(names[::-1], rates[::-1], color=colours[::-1])
        axis.set_xscale("log")
        axis.tick_params(axis="x", which="minor", labelbottom=False)
        axis.set_xlabel("requests/s, log scale (grey: floors)")
        axis.set_title(f"{result.mode} mode, one API core")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def docs_rows(results: list[ModeResult]) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    rows = []
    for result in results:
        feed, bare, feed8 = result.row(FEED), result.row(BARE), result.row(FEED, 8)
        paced = result.row(TWEET_PACED)
        rows.append(
            f"| {day} | {result.mode} | {feed.requests_per_second:,.0f} /s | "
            f"{_ratio(feed.rate_ratio)} | {bare.requests_per_second:,.0f} /s | "
            f"{feed8.p99_ms:.2f} ms | {_ratio(result.row(GRAPHQL).rate_ratio)} | "
            f"{result.row(TWEET).requests_per_second:,.0f} /s | {_ms(result.lag.p99_ms)} | "
            f"{result.row(HELLO).requests_per_second:,.0f} /s | "
            f"{_ms(result.paced_lag.p99_ms)} at {paced.requests_per_second:,.0f} /s |\n"
        )
    return "".join(rows)


def append_to_docs(results: list[ModeResult], path: Path) -> None:
    """A dated row per mode at the end of the file (its last section is the table)."""
    with path.open("a") as docs:
        docs.write(docs_rows(results))


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"
