"""End-to-end fixtures: the real `python -m roost serve` as a subprocess, spoken to over HTTP.

- `api`: a server shared by every test of one storage backend (started once per backend for the
  whole session, on a database of its own). Tests on it register fresh users with unique
  handles, so they do not see each other's data. Use it unless the test needs special settings.
- `server`: a fresh server of this test's own on `database_url` (default settings).
- `start_server(database_url, *extra_args, env={...})`: start as many servers as the test
  wants (e.g. with `--no-consumers`, or kill -9 one and start another on the same database);
  all are stopped at teardown.

Helpers (register, login, auth, eventually, ...) live in support.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import REDIS_URL

from .support import (
    RedisServer,
    Server,
    ServerFactory,
    Worker,
    WorkerFactory,
    fresh_postgres_database,
    scaled_env,
)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[ServerFactory]:
    servers: list[Server] = []

    def start(database_url: str, *extra_args: str, env: dict[str, str] | None = None) -> Server:
        server = Server(database_url, log_dir=tmp_path / "servers", args=extra_args, env=env)
        servers.append(server)
        return server.start()

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def server(start_server: ServerFactory, database_url: str) -> Server:
    """A server of this test's own, with default settings."""
    return start_server(database_url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql", "scaled"])
def shared_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """One database (and for scaled mode, one Redis prefix) per mode for the whole session:
    the same REST and GraphQL tests run embedded on SQLite, on PostgreSQL, and scaled."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('shared-sqlite') / 'roost.db'}", {}
        return
    with fresh_postgres_database() as url:
        if request.param == "postgresql":
            yield url, {}
            return
        prefix = f"roost-e2e-{uuid.uuid4().hex[:10]}:"
        try:
            yield url, scaled_env(REDIS_URL, prefix, worker_id=1)
        finally:
            _delete_redis_keys(prefix)


@pytest.fixture(scope="session")
def shared_server(
    shared_backend: tuple[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    database_url, env = shared_backend
    server = Server(database_url, log_dir=tmp_path_factory.mktemp("shared-server"), env=env)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def api(shared_server: Server) -> Server:
    """The shared server of this backend (checked to be still running)."""
    shared_server.assert_running()
    return shared_server


# --------------------------------------------------------------------------------------------
# Scaled mode


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[WorkerFactory]:
    """`start_worker(database_url, env={...}, wait=True)`: a `roost worker` subprocess (logs
    under tmp_path/workers); all are stopped (SIGTERM, then SIGKILL) at teardown. With
    wait=False the process is only launched: call `.wait_until_ready()` on it."""
    workers: list[Worker] = []

    def start(database_url: str, *, env: dict[str, str] | None = None, wait: bool = True) -> Worker:
        worker = Worker(database_url, log_dir=tmp_path / "workers", env=env)
        workers.append(worker)
        if wait:
            return worker.start()
        worker.launch()
        return worker

    yield start
    for worker in reversed(workers):
        worker.stop()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own (the shared one is never stopped by a test)."""
    server = RedisServer(log_dir=tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.kill()


def _delete_redis_keys(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()
