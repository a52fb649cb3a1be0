"""`roost bench notifications`: how fast a burst of likes reaches its author's live stream.

Real processes, as deployed: `roost serve` (embedded: SQLite, consumers in process; scaled:
PostgreSQL and Redis, `--no-consumers` plus one `roost worker`). One author posts; N other
users like the post at once (64 requests in flight); the author's `GET /stream` is open the
whole time. A like's latency runs from the moment its request was answered (204: committed,
with its event) to the moment its notification is read off the stream: the outbox, the
notifications consumer, the announcement and the live delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.progress import Progress

from roost.entrypoints.bench.limits import unlimited_env
from roost.entrypoints.bench.scratch import scratch_database, scratch_prefix
from roost.settings import Settings

IN_FLIGHT = 64
PASSWORD = "correct horse battery"  # noqa: S105 - throwaway users of a scratch database
# The bench registers many users: cheap password hashing keeps that from dominating it.
_BENCH_ENV = {
    "ROOST_PASSWORD_HASH_TIME_COST": "1",
    "ROOST_PASSWORD_HASH_MEMORY_KIB": "1024",
    **unlimited_env(),
}


@dataclass(frozen=True, slots=True)
class Result:
    mode: str
    likes: int
    delivered: int
    burst_seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float


async def bench_notifications(settings: Settings, likes: int) -> list[Result]:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        embedded = {"ROOST_DATABASE_URL": f"sqlite:///{Path(scratch) / 'bench.db'}"}
        results.append(await _measure("embedded (SQLite)", embedded, likes, workers=0))
    if settings.redis_url and settings.database_url.startswith("postgresql"):
        async with (
            scratch_database(settings.database_url) as database_url,
            scratch_prefix(settings.redis_url) as prefix,
        ):
            scaled = {
                "ROOST_DATABASE_URL": database_url,
                "ROOST_REDIS_URL": settings.redis_url,
                "ROOST_REDIS_PREFIX": prefix,
            }
            results.append(await _measure("scaled (PostgreSQL + Redis)", scaled, likes, workers=1))
    return results


async def _measure(mode: str, env: dict[str, str], likes: int, *, workers: int) -> Result:
    port = _free_port()
    with _processes(env, port, workers):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await _wait_healthy(client)
            author, likers = await _accounts(client, likes, mode)
            post = await client.post("/tweet", json={"content": "like me"}, headers=author)
            post_id = post.json()["id"]
            sent: dict[str, float] = {}
            arrived: dict[str, float] = {}
            listener = asyncio.create_task(_listen(client, author, arrived, likes))
            await asyncio.sleep(0.5)  # the stream is open
            started = time.monotonic()
            await _burst(client, post_id, likers, sent)
            burst = time.monotonic() - started
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(listener), 30)
            listener.cancel()
    latencies = sorted(1000 * (arrived[a] - sent[a]) for a in arrived if a in sent)
    if not latencies:
        raise SystemExit(f"{mode}: no notification reached the stream")
    return Result(
        mode=mode,
        likes=likes,
        delivered=len(latencies),
        burst_seconds=burst,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        max_ms=latencies[-1],
    )


async def _accounts(
    client: httpx.AsyncClient, likes: int, mode: str
) -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    run = os.urandom(4).hex()
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def account(handle: str) -> tuple[str, dict[str, str]]:
        async with gate:
            user = await client.post("/users", json={"handle": handle, "password": PASSWORD})
            session = await client.post("/sessions", json={"handle": handle, "password": PASSWORD})
        return user.json()["id"], {"Authorization": f"Bearer {session.json()['token']}"}

    _, author = await account(f"author_{run}")
    with Progress(transient=True) as progress:
        task = progress.add_task(f"{mode}: {likes} users", total=likes)

        async def counted(n: int) -> tuple[str, dict[str, str]]:
            made = await account(f"fan{n}_{run}")
            progress.advance(task)
            return made

        likers = await asyncio.gather(*(counted(n) for n in range(likes)))
    return author, likers


async def _burst(
    client: httpx.AsyncClient,
    post_id: str,
    likers: list[tuple[str, dict[str, str]]],
    sent: dict[str, float],
) -> None:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def like(user_id: str, headers: dict[str, str]) -> None:
        async with gate:
            response = await client.post(f"/tweets/{post_id}/like", headers=headers)
            sent[user_id] = time.monotonic()
            response.raise_for_status()

    await asyncio.gather(*(like(user_id, headers) for user_id, headers in likers))


async def _listen(
    client: httpx.AsyncClient, author: dict[str, str], arrived: dict[str, float], wanted: int
) -> None:
    async for event, data in _events(client, author):
        if event == "notification":
            arrived.setdefault(json.loads(data)["actor"]["id"], time.monotonic())
            if len(arrived) == wanted:
                return


async def _events(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> AsyncIterator[tuple[str, str]]:
    """(event, data) pairs of an SSE stream (this bench's own minimal reader)."""
    timeout = httpx.Timeout(30, read=None)
    async with client.stream("GET", "/stream", headers=headers, timeout=timeout) as response:
        event, data = "message", ""
        async for line in response.aiter_lines():
            if not line:
                if data:
                    yield event, data
                event, data = "message", ""
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data += line[5:].strip()


@contextlib.contextmanager
def _processes(env: dict[str, str], port: int, workers: int) -> Iterator[None]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    environment |= _BENCH_ENV | env
    serve = [sys.executable, "-m", "roost", "serve", "--port", str(port)]
    if workers:
        serve.append("--no-consumers")
    commands = [serve] + [[sys.executable, "-m", "roost", "worker"]] * workers
    running = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and command
            command,
            env={**environment, "ROOST_WORKER_ID": str(n + 1)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n, command in enumerate(commands)
    ]
    try:
        yield
    finally:
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


async def _wait_healthy(client: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise SystemExit("roost serve did not become healthy within 60 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def format_table(results: list[Result]) -> str:
    head = (
        f"{'mode':<28} | {'likes':>5} | {'delivered':>9} | {'burst s':>7} | "
        f"{'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7}"
    )
    lines = [head, "-" * len(head)]
    lines += [
        f"{r.mode:<28} | {r.likes:>5} | {r.delivered:>9} | {r.burst_seconds:>7.2f} | "
        f"{r.p50_ms:>7.1f} | {r.p99_ms:>7.1f} | {r.max_ms:>7.1f}"
        for r in results
    ]
    return "\n".join(lines)
