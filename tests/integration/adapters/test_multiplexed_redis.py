"""The hot path's shared Redis connection, against a real Redis (and a socket that never
answers, for the timeout)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import uvloop
from redis.asyncio import Redis
from redis.exceptions import BusyLoadingError, ConnectionError, ResponseError, TimeoutError

from roost.adapters.redis.multiplexed import MultiplexedRedis, Script
from tests.conftest import REDIS_URL

ECHO = Script("return {ARGV[1], KEYS[1]}")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def unique_script(body: str) -> Script:
    """A script Redis has not seen: its first run finds it missing (NOSCRIPT)."""
    return Script(f"-- {uuid.uuid4().hex}\n{body}")


async def test_concurrent_calls_each_get_their_own_reply() -> None:
    reads = MultiplexedRedis(REDIS_URL)
    try:
        replies = await asyncio.gather(
            *(reads.run_script(ECHO, [f"key{n}"], [n]) for n in range(500))
        )
        assert replies == [[str(n).encode(), f"key{n}".encode()] for n in range(500)]
    finally:
        await reads.close()


def test_it_runs_on_uvloop_as_the_server_does() -> None:
    async def calls() -> list[object]:
        reads = MultiplexedRedis(REDIS_URL)
        try:
            return await asyncio.gather(*(reads.run_script(ECHO, ["k"], [n]) for n in range(50)))
        finally:
            await reads.close()

    assert uvloop.run(calls()) == [[str(n).encode(), b"k"] for n in range(50)]


async def test_a_script_redis_does_not_know_is_loaded_and_run(redis: Redis) -> None:
    script = unique_script("return tonumber(ARGV[1]) * 2")
    assert await redis.script_exists(script.sha) == [False]
    reads = MultiplexedRedis(REDIS_URL)
    try:
        assert await reads.run_script(script, [], [21]) == 42
        assert await redis.script_exists(script.sha) == [True]
    finally:
        await reads.close()


async def test_an_error_reply_raises_and_the_connection_goes_on() -> None:
    reads = MultiplexedRedis(REDIS_URL)
    try:
        with pytest.raises(ResponseError, match="boom"):
            await reads.run_script(unique_script("return redis.error_reply('boom')"), [], [])
        assert await reads.run_script(ECHO, ["k"], ["after"]) == [b"after", b"k"]
    finally:
        await reads.close()


async def test_a_connection_killed_by_redis_is_replaced(redis: Redis) -> None:
    """As after a Redis restart: the next call is answered on a new connection."""
    name = f"roost-test-{uuid.uuid4().hex[:8]}"
    reads = MultiplexedRedis(REDIS_URL, name=name)
    try:
        assert await reads.run_script(ECHO, ["k"], ["first"]) == [b"first", b"k"]
        (mine,) = [c for c in await redis.client_list() if c["name"] == name]
        await redis.client_kill_filter(_id=mine["id"])
        assert await reads.run_script(ECHO, ["k"], ["second"]) == [b"second", b"k"]
        (replaced,) = [c for c in await redis.client_list() if c["name"] == name]
        assert replaced["id"] != mine["id"]
    finally:
        await reads.close()


async def test_a_cancelled_call_leaves_the_next_replies_matched() -> None:
    slow = unique_script("local n = 0 for i = 1, 3000000 do n = n + i end return ARGV[1]")
    reads = MultiplexedRedis(REDIS_URL)
    try:
        await reads.run_script(slow, [], ["warm"])  # loaded, so the next call is one command
        cancelled = asyncio.ensure_future(reads.run_script(slow, [], ["cancelled"]))
        await asyncio.sleep(0)
        cancelled.cancel()
        assert await reads.run_script(ECHO, ["k"], ["mine"]) == [b"mine", b"k"]
        assert cancelled.cancelled()
    finally:
        await reads.close()


async def test_an_unreachable_redis_fails_at_once_and_is_counted() -> None:
    errors: list[str] = []
    reads = MultiplexedRedis("redis://127.0.0.1:1/0", on_error=lambda: errors.append("x"))
    with pytest.raises(ConnectionError):
        await reads.run_script(ECHO, ["k"], ["v"])
    assert errors


async def test_a_silent_redis_times_out_and_the_next_call_reconnects() -> None:
    """A server that answers the handshake (CLIENT SETNAME), then nothing."""
    connections: list[asyncio.StreamWriter] = []

    async def greet_then_say_nothing(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        connections.append(writer)
        await reader.readuntil(b"SETNAME\r\n")
        await reader.readline(), await reader.readline()  # the name's length, the name
        writer.write(b"+OK\r\n")

    server = await asyncio.start_server(greet_then_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    errors: list[str] = []
    reads = MultiplexedRedis(
        f"redis://127.0.0.1:{port}/0", timeout=0.2, on_error=lambda: errors.append("x")
    )
    try:
        for expected_connections in (1, 2):
            with pytest.raises(TimeoutError):
                await reads.run_script(ECHO, ["k"], ["v"])
            assert len(connections) == expected_connections
        assert len(errors) == 2
    finally:
        await reads.close()
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def _command(reader: asyncio.StreamReader) -> list[bytes]:
    """One RESP command, as a fake Redis reads it."""
    count = int((await reader.readline())[1:])
    parts = []
    for _ in range(count):
        await reader.readline()  # the part's length
        parts.append((await reader.readline()).strip())
    return parts


@contextlib.asynccontextmanager
async def fake_redis(answer: Callable[[list[bytes]], bytes | None]) -> AsyncIterator[int]:
    """A server answering each command with ``answer(command)`` (None: say nothing), yielding
    its port; on leaving, every connection a client left open fails the test."""
    readers: list[asyncio.StreamReader] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        readers.append(reader)
        with contextlib.suppress(ConnectionResetError, asyncio.IncompleteReadError, ValueError):
            while command := await _command(reader):
                if (reply := answer(command)) is not None:
                    writer.write(reply)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
        await asyncio.sleep(0.1)
        assert all(reader.at_eof() for reader in readers), "a connection was left open"
    finally:
        server.close()


async def test_redis_still_loading_its_data_is_unavailable_not_a_bad_command() -> None:
    def loading(command: list[bytes]) -> bytes:
        return b"+OK\r\n" if command[0] == b"CLIENT" else b"-LOADING Redis is loading\r\n"

    errors: list[str] = []
    async with fake_redis(loading) as port:
        reads = MultiplexedRedis(f"redis://127.0.0.1:{port}/0", on_error=lambda: errors.append("x"))
        with pytest.raises(BusyLoadingError):
            await reads.run_script(ECHO, ["k"], ["v"])
        await reads.close()
    assert errors == ["x"]


async def test_a_refused_greeting_is_a_connection_error() -> None:
    errors: list[str] = []
    async with fake_redis(lambda _: b"-WRONGPASS invalid password\r\n") as port:
        reads = MultiplexedRedis(
            f"redis://:wrong@127.0.0.1:{port}/0", on_error=lambda: errors.append("x")
        )
        with pytest.raises(ConnectionError, match="refused"):
            await reads.run_script(ECHO, ["k"], ["v"])
        await reads.close()
    assert errors == ["x"]


async def test_a_greeting_that_never_ends_leaves_no_connection_open() -> None:
    async with fake_redis(lambda _: None) as port:
        reads = MultiplexedRedis(f"redis://127.0.0.1:{port}/0", connect_timeout=0.1)
        for _ in range(2):
            with pytest.raises(ConnectionError):
                await reads.run_script(ECHO, ["k"], ["v"])
        await reads.close()


async def test_a_closed_client_takes_no_more_calls() -> None:
    reads = MultiplexedRedis(REDIS_URL)
    assert await reads.run_script(ECHO, ["k"], ["v"]) == [b"v", b"k"]
    await reads.close()
    with pytest.raises(ConnectionError, match="closed"):
        await reads.run_script(ECHO, ["k"], ["v"])
