"""One connection to Redis, shared by every concurrent call of the hot path (a feed page).

redis-py takes a connection from its pool for each call and packs, sends and parses in layers of
Python (retries, locks, response callbacks): about 65 us of client CPU a feed page script, the
largest part of a feed read after the HTTP server itself. Here a call writes its command at once
to the one connection and waits for its reply; Redis answers a connection's commands in the
order it reads them, so replies are matched to callers first in, first out, and parsed by
hiredis in C: 18 us a page script (in process, 64 concurrent callers). Redis gains too: the
commands of many callers arrive in one read and leave in one write.

Faults, as redis-py reports them (redis.exceptions), so callers handle both alike:
- Redis unreachable, or refusing the greeting (a wrong password, too many clients):
  ConnectionError, at once; the next call tries again. A connection whose greeting fails or
  times out is closed.
- Redis still loading its data, or busy with a script: BusyLoadingError (a ConnectionError).
- The connection breaks (Redis restarted): the calls waiting on it are sent again, once, on a new
  connection; then they fail with ConnectionError. Calls must be safe to repeat: this client
  is for reads.
- No reply within ``timeout`` (checked every quarter of it): that call fails with TimeoutError
  and the connection is dropped, failing the others waiting on it, as a hung Redis would leave
  them waiting too.
- A script Redis does not know (restarted, flushed): loaded, then run again.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, cast

import hiredis
from redis.connection import SSLConnection, parse_url
from redis.exceptions import BusyLoadingError, RedisError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | int | bytes
_CHECKS = 4  # watchdog checks per timeout


class Script:
    """A Lua script and its SHA1, by which Redis knows it once loaded."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


class MultiplexedRedis:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        connect_timeout: float = 1.0,
        on_error: Callable[[], None] = lambda: None,
        name: str = "roost-reads",
    ) -> None:
        self._options: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._on_error = on_error
        self._name = name  # CLIENT LIST shows it: which connection is this one
        self._connection: _Connection | None = None
        self._connecting: asyncio.Task[_Connection] | None = None
        self._closed = False

    async def run_script(self, script: Script, keys: Sequence[Arg], args: Sequence[Arg]) -> Any:
        command = _pack(b"EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return await self._call(command)
        except ResponseError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
        await self._call(_pack(b"SCRIPT", b"LOAD", script.source))
        return await self._call(command)

    async def close(self) -> None:
        """For good: later calls fail with ConnectionError."""
        self._closed = True
        if self._connecting is not None:
            self._connecting.cancel()
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def _call(self, command: bytes) -> Any:
        try:
            try:
                reply = await (await self._connected()).call(command)
            except RedisConnectionError:  # broken under it (Redis restarted?): once more, anew
                reply = await (await self._connected()).call(command)
            if isinstance(reply, hiredis.ReplyError):
                raise _error(str(reply))
        except (RedisConnectionError, RedisTimeoutError):  # BusyLoadingError is one too
            self._on_error()
            raise
        return reply

    async def _connected(self) -> _Connection:
        if self._closed:
            raise RedisConnectionError("this Redis client is closed")
        loop = asyncio.get_running_loop()
        connection = self._connection
        if connection is not None and connection.usable_from(loop):
            return connection
        task = self._connecting
        if task is None or task.get_loop() is not loop:
            task = self._connecting = loop.create_task(self._connect(loop))
            task.add_done_callback(self._done_connecting)
        return await asyncio.shield(task)

    def _done_connecting(self, task: asyncio.Task[_Connection]) -> None:
        if self._connecting is task:
            self._connecting = None
        if not task.cancelled() and task.exception() is None:
            if self._closed:  # finished just as close() ran
                task.result().close()
            else:
                self._connection = task.result()

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        """Connected and greeted (AUTH, CLIENT SETNAME, SELECT), or a ConnectionError: an error
        reply to the greeting (a wrong password, too many clients) is Redis unavailable too."""
        connection: _Connection | None = None
        try:
            async with asyncio.timeout(self._connect_timeout):
                connection = await self._open(loop)
                for command in self._handshake():
                    reply = await connection.call(command)
                    if isinstance(reply, hiredis.ReplyError):
                        raise RedisConnectionError(f"Redis refused the connection: {reply}")
        except BaseException as error:  # a timeout or a cancellation too: never left open
            if connection is not None:
                connection.close()
            if isinstance(error, OSError | TimeoutError | RedisTimeoutError):
                raise RedisConnectionError(f"cannot connect to Redis: {error!r}") from error
            raise
        return connection

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        options = self._options
        if "path" in options:
            _, connection = await loop.create_unix_connection(
                lambda: _Connection(loop, self._timeout), options["path"]
            )
            return connection
        secure = options.get("connection_class") is SSLConnection
        _, connection = await loop.create_connection(
            lambda: _Connection(loop, self._timeout),
            options.get("host", "localhost"),
            options.get("port", 6379),
            ssl=ssl.create_default_context() if secure else None,
        )
        return connection

    def _handshake(self) -> list[bytes]:
        options = self._options
        commands = []
        if options.get("password"):
            credentials = [options["username"]] if options.get("username") else []
            commands.append(_pack(b"AUTH", *credentials, options["password"]))
        commands.append(_pack(b"CLIENT", b"SETNAME", self._name))
        if options.get("db"):
            commands.append(_pack(b"SELECT", options["db"]))
        return commands


class _Connection(asyncio.Protocol):
    """Commands written in order; each reply resolves the oldest waiting call.

    One watchdog a connection, not a timer a call (asyncio.timeout cost 7 us a feed read):
    replies come in order, so the oldest waiting call is the first overdue. Checked every
    ``timeout / _CHECKS``, a call fails within 1.25 times its timeout."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._loop = loop
        self._timeout = timeout
        self._reader = hiredis.Reader()
        self._waiting: deque[tuple[asyncio.Future[Any], float]] = deque()  # and when sent
        self._transport: asyncio.Transport | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self._watchdog = self._loop.call_later(self._timeout / _CHECKS, self._check)

    def data_received(self, data: bytes) -> None:
        if self._lost:  # closed for a timeout: the replies left no longer match
            return
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            waiter, _ = self._waiting.popleft()
            if not waiter.done():  # its caller may have been cancelled
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        while self._waiting:
            waiter, _ = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(RedisConnectionError("the connection to Redis was lost"))

    def usable_from(self, loop: asyncio.AbstractEventLoop) -> bool:
        return not self._lost and self._loop is loop

    async def call(self, command: bytes) -> Any:
        if self._lost or self._transport is None:
            raise RedisConnectionError("the connection to Redis was lost")
        waiter = self._loop.create_future()
        self._waiting.append((waiter, self._loop.time()))
        self._transport.write(command)
        return await waiter

    def _check(self) -> None:
        """Fail the oldest call once overdue, and drop the connection: a Redis that hung
        would leave the others waiting too."""
        if self._lost:
            return
        if self._waiting and self._loop.time() - self._waiting[0][1] > self._timeout:
            waiter, _ = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(
                    RedisTimeoutError(f"no reply from Redis within {self._timeout} s")
                )
            self.close()
            return
        self._watchdog = self._loop.call_later(self._timeout / _CHECKS, self._check)

    def close(self) -> None:
        """At once: no call is written to it any more; the waiting ones fail as it goes."""
        self._lost = True
        if self._transport is not None:
            self._transport.abort()


def _error(message: str) -> RedisError:
    """An error reply as redis-py raises it: Redis still loading its data, or busy running a
    script, is Redis unavailable for now (BusyLoadingError), not a bad command."""
    if message.startswith(("LOADING", "BUSY")):
        return BusyLoadingError(message)
    return ResponseError(message)


def _pack(*parts: Arg) -> bytes:
    """A command in RESP: an array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)
