"""Helpers for the end-to-end tests: a real `roost serve` subprocess and small HTTP helpers.

Everything here talks to the server over HTTP only; nothing imports roost.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import httpx_sse
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SRC_DIR = REPO_ROOT / "src"

# The same values tests/conftest.py puts in TEST_ENV (that module cannot be imported from here).
FAST_HASHING_ENV = {
    "ROOST_PASSWORD_HASH_TIME_COST": "1",
    "ROOST_PASSWORD_HASH_MEMORY_KIB": "1024",
}
POSTGRES_ADMIN_URL = os.environ.get(
    "ROOST_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
POSTGRES_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 10.0
DEFAULT_PASSWORD = "correct horse"

ID_RE = re.compile(r"[0-9]+")
TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
ERROR_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")

USER_KEYS = {"id", "handle", "display_name", "followers_count", "following_count", "created_at"}
TWEET_KEYS = {
    "id",
    "author",
    "content",
    "created_at",
    "in_reply_to",
    "repost_of",
    "like_count",
    "reply_count",
    "repost_count",
    "liked",
    "reposted",
}
AUTHOR_KEYS = {"id", "handle", "display_name"}
PAGE_KEYS = {"items", "next_cursor"}

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# The server process


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, limit: int = 8000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"<could not read {path}: {error}>"
    return text if len(text) <= limit else "...\n" + text[-limit:]


class RoostProcess:
    """A `python -m roost ...` subprocess: its logs, its environment, how it is stopped."""

    kind = "roost"

    def __init__(self, database_url: str, *, log_dir: Path, env: Mapping[str, str] | None) -> None:
        self.database_url = database_url
        self.log_dir = log_dir
        stem = f"{self.kind}-{uuid.uuid4().hex[:8]}"
        self.stdout_path = log_dir / f"{stem}.stdout.log"
        self.stderr_path = log_dir / f"{stem}.stderr.log"
        # The test's environment minus any roost settings a developer may have exported, so
        # every process runs with exactly what the test asks for.
        self.env = roost_environment(database_url, env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        raise NotImplementedError

    def launch(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=err, env=self.env, cwd=self.log_dir
            )

    def _fail(self, what: str) -> None:
        pytest.fail(
            f"{what}\ncommand: {' '.join(self.command)}\n"
            f"ROOST_DATABASE_URL={self.database_url}\n"
            f"--- stderr ---\n{self.logs()}\n--- stdout ---\n{_tail(self.stdout_path, 2000)}",
            pytrace=False,
        )

    def logs(self) -> str:
        """The tail of the process's stderr."""
        return _tail(self.stderr_path)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def assert_running(self) -> None:
        if not self.running:
            code = None if self.process is None else self.process.returncode
            self._fail(f"`roost {self.kind}` is no longer running (exit status {code})")

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (a crash)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


class Server(RoostProcess):
    """One `python -m roost serve` subprocess on a free port of 127.0.0.1."""

    kind = "serve"

    def __init__(
        self,
        database_url: str,
        *,
        log_dir: Path,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(database_url, log_dir=log_dir, env=env)
        self.args = tuple(args)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT)

    @property
    def command(self) -> list[str]:
        host_port = ["--host", "127.0.0.1", "--port", str(self.port)]
        return [sys.executable, "-m", "roost", "serve", *host_port, *self.args]

    def start(self) -> Server:
        self.launch()
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last = "no answer yet"
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self._fail(f"`roost serve` exited with status {code} before it became healthy")
            try:
                response = self.client.get("/healthz", timeout=1.0)
            except httpx.TransportError as error:
                last = repr(error)
            else:
                if response.status_code == 200:
                    return
                last = f"GET /healthz -> {response.status_code}: {response.text[:300]}"
            time.sleep(0.1)
        self.kill()
        self._fail(f"`roost serve` was not healthy within {STARTUP_TIMEOUT:.0f} s ({last})")

    def kill(self) -> None:
        self.client.close()
        super().kill()

    def stop(self) -> None:
        self.client.close()
        super().stop()


ServerFactory = Callable[..., Server]


def _require_port(url: str, service: str, how_to_start: str) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as error:
        pytest.fail(
            f"{service} is not answering at {host}:{port} ({error}). Start it with: {how_to_start}",
            pytrace=False,
        )


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A PostgreSQL database of its own on the test server, dropped afterwards."""
    import psycopg

    _require_port(POSTGRES_ADMIN_URL, "PostgreSQL", POSTGRES_START)
    name = f"roost_e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(POSTGRES_ADMIN_URL)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------
# Polling


def eventually(fn: Callable[[], T], timeout: float = 3.0, interval: float = 0.05) -> T:
    """Call fn until it stops raising AssertionError; re-raise the last one after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Shapes


def describe(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {request.url} -> {response.status_code}: {response.text[:600]}"


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_RE.fullmatch(value) is not None and 0 < int(value) < 2**63


def parse_timestamp(value: object) -> datetime:
    assert isinstance(value, str), value
    assert TIMESTAMP_RE.fullmatch(value), f"not an RFC 3339 UTC timestamp ending in Z: {value!r}"
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_recent(value: object) -> None:
    moment = parse_timestamp(value)
    now = datetime.now(UTC)
    assert now - timedelta(minutes=5) < moment < now + timedelta(minutes=5), value


def assert_user(user: Any, *, handle: str | None = None) -> None:
    assert isinstance(user, dict), user
    assert set(user) == USER_KEYS, user
    assert is_id(user["id"]), user
    assert isinstance(user["handle"], str), user
    assert isinstance(user["display_name"], str), user
    assert isinstance(user["followers_count"], int), user
    assert isinstance(user["following_count"], int), user
    assert user["followers_count"] >= 0, user
    assert user["following_count"] >= 0, user
    assert_recent(user["created_at"])
    if handle is not None:
        assert user["handle"] == handle, user


def assert_tweet(tweet: Any) -> None:
    assert isinstance(tweet, dict), tweet
    assert set(tweet) == TWEET_KEYS, tweet
    assert is_id(tweet["id"]), tweet
    assert isinstance(tweet["author"], dict), tweet
    assert set(tweet["author"]) == AUTHOR_KEYS, tweet
    assert is_id(tweet["author"]["id"]), tweet
    assert isinstance(tweet["content"], str), tweet
    assert tweet["in_reply_to"] is None or is_id(tweet["in_reply_to"]), tweet
    for count in ("like_count", "reply_count", "repost_count"):
        assert isinstance(tweet[count], int), tweet
        assert tweet[count] >= 0, tweet
    assert isinstance(tweet["liked"], bool), tweet
    assert isinstance(tweet["reposted"], bool), tweet
    if tweet["repost_of"] is not None:
        assert tweet["content"] == "", tweet
        assert_tweet(tweet["repost_of"])
        assert tweet["repost_of"]["repost_of"] is None, tweet
    assert_recent(tweet["created_at"])


def assert_error(response: httpx.Response, status: int, code: str | Iterable[str]) -> None:
    """The response is `{"error": {"code": ..., "message": ...}}` with this status and code."""
    codes = {code} if isinstance(code, str) else set(code)
    assert response.status_code == status, describe(response)
    assert response.headers.get("content-type", "").startswith("application/json"), describe(
        response
    )
    body = response.json()
    assert isinstance(body, dict), describe(response)
    assert set(body) == {"error"}, describe(response)
    error = body["error"]
    assert isinstance(error, dict), describe(response)
    assert {"code", "message"} <= set(error), describe(response)
    assert error["code"] in codes, describe(response)
    assert isinstance(error["message"], str), describe(response)
    assert error["message"].strip(), describe(response)


def assert_error_shape(response: httpx.Response, status: int) -> str:
    """Like assert_error for any stable snake_case code; returns the code."""
    assert response.status_code == status, describe(response)
    body = response.json()
    assert isinstance(body, dict), describe(response)
    assert set(body) == {"error"}, describe(response)
    error = body["error"]
    assert isinstance(error, dict), describe(response)
    assert isinstance(error.get("code"), str), describe(response)
    assert ERROR_CODE_RE.fullmatch(error["code"]), describe(response)
    assert isinstance(error.get("message"), str), describe(response)
    assert error["message"].strip(), describe(response)
    code: str = error["code"]
    return code


def assert_page(body: Any) -> None:
    assert isinstance(body, dict), body
    assert set(body) == PAGE_KEYS, body
    assert isinstance(body["items"], list), body
    cursor = body["next_cursor"]
    assert cursor is None or (isinstance(cursor, str) and cursor), body


def ids(items: Iterable[Mapping[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def assert_newest_first(items: Sequence[Mapping[str, Any]]) -> None:
    numbers = [int(item["id"]) for item in items]
    assert all(a > b for a, b in itertools.pairwise(numbers)), numbers


# --------------------------------------------------------------------------------------------
# Accounts


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_handle(prefix: str = "user") -> str:
    """A fresh valid handle (3-30 of [A-Za-z0-9_]) that no other test uses."""
    return f"{prefix[:13]}_{uuid.uuid4().hex[:16]}"


def register(
    client: httpx.Client,
    handle: str,
    password: str = DEFAULT_PASSWORD,
    display_name: str | None = None,
) -> dict[str, Any]:
    body = {"handle": handle, "password": password}
    if display_name is not None:
        body["display_name"] = display_name
    response = client.post("/users", json=body)
    assert response.status_code == 201, describe(response)
    user: dict[str, Any] = response.json()
    return user


def login(client: httpx.Client, handle: str, password: str = DEFAULT_PASSWORD) -> str:
    response = client.post("/sessions", json={"handle": handle, "password": password})
    assert response.status_code == 201, describe(response)
    token: str = response.json()["token"]
    return token


@dataclass(frozen=True)
class Account:
    user: dict[str, Any]
    token: str
    password: str = DEFAULT_PASSWORD

    @property
    def id(self) -> str:
        value: str = self.user["id"]
        return value

    @property
    def handle(self) -> str:
        value: str = self.user["handle"]
        return value

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.token)


def new_account(
    client: httpx.Client, prefix: str = "user", display_name: str | None = None
) -> Account:
    """Register a fresh user and log in."""
    handle = unique_handle(prefix)
    user = register(client, handle, display_name=display_name)
    return Account(user=user, token=login(client, handle))


def get_user(client: httpx.Client, viewer: Account, handle: str) -> dict[str, Any]:
    response = client.get(f"/users/{handle}", headers=viewer.headers)
    assert response.status_code == 200, describe(response)
    user: dict[str, Any] = response.json()
    return user


def follow(client: httpx.Client, follower: Account, handle: str) -> None:
    response = client.post(f"/users/{handle}/follow", headers=follower.headers)
    assert response.status_code == 204, describe(response)
    assert response.content == b"", describe(response)


def unfollow(client: httpx.Client, follower: Account, handle: str) -> None:
    response = client.delete(f"/users/{handle}/follow", headers=follower.headers)
    assert response.status_code == 204, describe(response)
    assert response.content == b"", describe(response)


# --------------------------------------------------------------------------------------------
# Tweets and feeds


def post_tweet(
    client: httpx.Client,
    author: Account,
    content: str | None = None,
    in_reply_to: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"content": content or f"hello from {author.handle} {uuid.uuid4().hex}"}
    if in_reply_to is not None:
        body["in_reply_to"] = in_reply_to
    response = client.post("/tweet", json=body, headers=author.headers)
    assert response.status_code == 201, describe(response)
    tweet: dict[str, Any] = response.json()
    return tweet


def get_page(client: httpx.Client, path: str, viewer: Account, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params, headers=viewer.headers)
    assert response.status_code == 200, describe(response)
    body: dict[str, Any] = response.json()
    assert_page(body)
    return body


def feed_ids(client: httpx.Client, viewer: Account, limit: int = 100) -> list[str]:
    """The ids of the newest `limit` entries of the viewer's home feed, checking the order."""
    items = get_page(client, "/feed", viewer, limit=limit)["items"]
    assert_newest_first(items)
    return ids(items)


def collect_pages(
    client: httpx.Client,
    path: str,
    viewer: Account,
    *,
    limit: int,
    between_pages: Callable[[int], None] | None = None,
    max_pages: int = 200,
) -> list[list[dict[str, Any]]]:
    """Follow next_cursor from the first page to the last; returns the pages' items.

    between_pages(n) is called after page n (1-based) when there is a next page.
    """
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for number in range(1, max_pages + 1):
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = get_page(client, path, viewer, **params)
        assert len(body["items"]) <= limit, body
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        if between_pages is not None:
            between_pages(number)
    pytest.fail(f"{path}: still a next_cursor after {max_pages} pages")


# --------------------------------------------------------------------------------------------
# Scaled mode: `roost worker` processes, a private redis-server, and the Redis keys roost writes


WORKER_READY_LINE = "roost worker: consuming events"
FEED_SENTINEL = "0" * 19


def feed_member(tweet_id: int | str) -> str:
    """A tweet id as roost writes it into a home feed: 19 zero-padded digits."""
    return f"{int(tweet_id):019d}"


def home_feed_key(prefix: str, user_id: int | str) -> str:
    return f"{prefix}{{u{int(user_id)}}}:home"


def scaled_env(redis_url: str, prefix: str, worker_id: int, **extra: str) -> dict[str, str]:
    """The environment of one scaled-mode process (API or worker) with fast test timings."""
    env = {
        "ROOST_REDIS_URL": redis_url,
        "ROOST_REDIS_PREFIX": prefix,
        "ROOST_WORKER_ID": str(worker_id),
        "ROOST_CONSUMER_POLL_SECONDS": "0.1",
        "ROOST_STREAM_CLAIM_IDLE_SECONDS": "2",
    }
    env.update(extra)
    return env


def roost_environment(database_url: str, extra: Mapping[str, str]) -> dict[str, str]:
    """Like Server._environment: the test's environment minus stray ROOST_* settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ROOST_") or key.startswith("ROOST_TEST_")
    }
    env.update(FAST_HASHING_ENV)
    env.update(extra)
    env["ROOST_DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(SRC_DIR), os.environ.get("PYTHONPATH", "")) if part
    )
    return env


class Worker(RoostProcess):
    """One `python -m roost worker` subprocess (the outbox relay and the fanout consumers)."""

    kind = "worker"

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "roost", "worker"]

    @property
    def pid(self) -> int:
        assert self.process is not None, "the worker was not started"
        return self.process.pid

    @property
    def consumer_name(self) -> str:
        """The name this worker reads the Redis Stream under: `<hostname>-<pid>`."""
        return f"{socket.gethostname()}-{self.pid}"

    def start(self) -> Worker:
        self.launch()
        return self.wait_until_ready()

    def wait_until_ready(self) -> Worker:
        """Until the worker says it consumes events (it has migrated and connected)."""
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self._fail(f"`roost worker` exited with status {code} before it was ready")
            if WORKER_READY_LINE in _tail(self.stderr_path, 100_000):
                return self
            time.sleep(0.05)
        self.kill()
        self._fail(f"`roost worker` did not say {WORKER_READY_LINE!r} within {STARTUP_TIMEOUT} s")
        return self


WorkerFactory = Callable[..., Worker]


class RedisServer:
    """A private `redis-server` on a free port, keeping nothing on disk: a test may kill it and
    start it again (empty, unless snapshot() was called) on the same port without touching the
    machine's shared Redis."""

    def __init__(self, *, log_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def command(self) -> list[str]:
        return [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]

    def start(self) -> RedisServer:
        import redis

        assert not self.running, "this redis-server is already running"
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"redis-{self.port}-{self.starts}.log"
        with log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, cwd=self.log_dir
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"redis-server exited with status {self.process.returncode}\n{_tail(log_path)}",
                    pytrace=False,
                )
            try:
                with contextlib.closing(redis.Redis.from_url(self.url)) as client:
                    if client.ping():
                        return self
            except redis.RedisError:
                pass
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"redis-server did not answer PING within {STARTUP_TIMEOUT} s", pytrace=False)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)

    def snapshot(self) -> None:
        """Write the data to dump.rdb (SAVE): the next start() loads it, as a Redis restarted
        with persistence, or a replica promoted after a failover, would come back."""
        with contextlib.closing(self.client()) as client:
            client.save()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


# --------------------------------------------------------------------------------------------
# Live streams


@dataclass(frozen=True)
class Received:
    event: str
    data: Any
    id: str
    at: float  # time.monotonic() when it arrived


class SseListener:
    """GET /stream read by a real SSE client (httpx-sse) on a thread of its own; every event
    lands in a queue with the time it arrived."""

    def __init__(self, url: str, account: Account, last_event_id: str | None = None) -> None:
        headers = dict(account.headers)
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self._client = httpx.Client(base_url=url, timeout=httpx.Timeout(HTTP_TIMEOUT, read=None))
        self._headers = headers
        self._events: queue.Queue[Received] = queue.Queue()
        self._open = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._ended = threading.Event()
        self.ended_at: float | None = None  # time.monotonic() when the server ended the stream
        self.error: BaseException | None = None

    def __enter__(self) -> SseListener:
        self._thread.start()
        assert self._open.wait(HTTP_TIMEOUT), f"GET /stream did not answer: {self.error!r}"
        time.sleep(0.3)  # the server registers the session after the response starts
        return self

    def __exit__(self, *exc: object) -> None:
        """The reading thread ends on its next read (a daemon, it is not waited for)."""
        self._client.close()

    def _listen(self) -> None:
        try:
            with httpx_sse.connect_sse(self._client, "GET", "/stream", headers=self._headers) as s:
                assert s.response.status_code == 200, s.response.status_code
                assert s.response.headers["content-type"].startswith("text/event-stream")
                self._open.set()
                for sse in s.iter_sse():
                    data = sse.json() if sse.data else None
                    self._events.put(Received(sse.event, data, sse.id, time.monotonic()))
            self.ended_at = time.monotonic()
            self._ended.set()
        except (httpx.HTTPError, RuntimeError, AssertionError) as error:  # closed by __exit__
            self.error = error
            self._open.set()

    def next(self, event: str, timeout: float = 5.0) -> Received:
        """The next event of this kind (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                received = self._events.get(timeout=max(left, 0.001))
            except queue.Empty:
                raise AssertionError(f"no {event!r} event within {timeout} s") from None
            if received.event == event:
                return received

    def wait_until_ended(self, timeout: float = 5.0) -> float:
        """When the server ended the stream (time.monotonic())."""
        assert self._ended.wait(timeout), f"the stream is still open after {timeout} s"
        assert self.ended_at is not None
        return self.ended_at
