"""The HTTP server every roost ASGI app runs on, with one set of options, so that the
benchmark's floor endpoints (bench/floor.py) are served exactly as the API is.

uvicorn (uvloop, httptools) or granian (its Rust HTTP stack, embedded in this process's uvloop
event loop, so that the app object and its settings stay in this process as with uvicorn).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Literal

App = Callable[..., Awaitable[None]]
GRACEFUL_SHUTDOWN_SECONDS = 10


def run_server(
    app: App, host: str, port: int, server: Literal["uvicorn", "granian"] = "uvicorn"
) -> None:
    if server == "granian":
        _run_granian(app, host, port)
    else:
        _run_uvicorn(app, host, port)


def _run_uvicorn(app: App, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="info",
        log_config=None,  # the process's logging is set once: entrypoints/logs.py
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def _run_granian(app: App, host: str, port: int) -> None:
    import uvloop
    from granian.constants import Interfaces
    from granian.server.embed import Server

    async def serve() -> None:
        embedded = Server(app, address=host, port=port, interface=Interfaces.ASGI, log_access=False)
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, embedded.stop)
        await embedded.serve()

    uvloop.run(serve())
