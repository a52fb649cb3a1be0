"""The admin dashboard in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from roost.adapters.sql.analytics import SqlAnalytics
from roost.adapters.sql.engine import create_engines
from roost.domain.analytics import UsageBatch
from roost.domain.ids import smallest_id_at

from .support import DEFAULT_PASSWORD, Server, ServerFactory, follow, new_account, post_tweet

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_the_dashboard_draws_the_overview_and_forecast(
    start_server: ServerFactory, sqlite_url: str, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing. Install it with: apt-get install chromium", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    server: Server = start_server(sqlite_url)
    admin = new_account(server.client, "admin")
    fan = new_account(server.client, "fan")
    follow(server.client, fan, admin.handle)
    post_tweet(server.client, admin, "on the dashboard")
    granted = _roost(server, "admin", "grant", admin.handle)
    assert granted.returncode == 0, granted.stderr[-2000:]
    assert _roost(server, "admin", "grant", "nobody_at_all").returncode != 0
    asyncio.run(_eight_days_of_requests(sqlite_url))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            failed: list[str] = []
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(f"{server.url}/admin")
            page.fill("input[name=handle]", admin.handle)
            page.fill("input[name=password]", DEFAULT_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("body[data-ready=true]", timeout=10_000)
            assert page.locator("#posts svg rect.bar").count() == 14
            assert page.locator("#forecast svg polyline.line").count() == 1
            assert "hour of week" in page.inner_text("#forecast-method")
            assert page.inner_text("#status") == f"signed in as @{admin.handle}"
            shot = tmp_path / "admin-dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert failed == []
    assert shot.stat().st_size > 10_000
    assert _roost(server, "admin", "revoke", admin.handle).returncode == 0
    assert server.client.get("/analytics/overview", headers=admin.headers).status_code == 403
    print(f"screenshot: {shot}")


def _roost(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roost", *args],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def _eight_days_of_requests(database_url: str) -> None:
    """A daily wave of requests in the hourly history, for the forecast to draw."""
    engines = create_engines(database_url)
    store = SqlAnalytics(engines)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    batches = []
    for hours_ago in range(1, 8 * 24 + 1):
        at = now - timedelta(hours=hours_ago)
        per_second = 50 + 40 * math.sin(2 * math.pi * (at.hour - 8) / 24)
        batches.append(UsageBatch(smallest_id_at(at), at, {}, 0, int(per_second * 3600)))
    try:
        assert await store.add_usage(batches, now) == len(batches)
    finally:
        await engines.dispose()
