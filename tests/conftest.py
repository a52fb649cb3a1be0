"""Fixtures for the real services the tests run against.

Every test that touches storage gets a database of its own: a fresh SQLite file, or a fresh
PostgreSQL database created on the server at ROOST_TEST_POSTGRES_URL and dropped afterwards.
A missing server fails the test with a message saying how to start it; nothing is skipped.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "ROOST_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
POSTGRES_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_URL = os.environ.get("ROOST_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
)

# Fast password hashing for tests: the production defaults cost ~150 ms per hash.
TEST_ENV = {
    "ROOST_PASSWORD_HASH_TIME_COST": "1",
    "ROOST_PASSWORD_HASH_MEMORY_KIB": "1024",
}


def _require_port(url: str, service: str, how_to_start: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or (6379 if "redis" in url else 5432)
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as error:
        pytest.fail(
            f"{service} is not answering at {host}:{port} ({error}). Start it with: {how_to_start}",
            pytrace=False,
        )


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped afterwards."""
    import psycopg

    _require_port(POSTGRES_ADMIN_URL, "PostgreSQL", POSTGRES_START)
    name = f"roost_test_{uuid.uuid4().hex[:12]}"
    admin = POSTGRES_ADMIN_URL
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file of this test's own."""
    return f"sqlite:///{tmp_path / 'roost.db'}"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own; its keys are deleted afterwards. A test that
    starts processes using it asks for it first: fixtures are torn down in reverse order, so
    its keys are then deleted after those processes stopped (a worker stopping late created
    its stream's consumer groups again under a deleted prefix)."""
    import redis

    _require_port(REDIS_URL, "Redis", REDIS_START)
    prefix = f"roost-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs twice: on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
