"""The HTTP server every roost ASGI app runs on, with one set of options, so that the
benchmark's floor endpoints (bench/floor.py) are served exactly as the API is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


def run_server(app: Callable[..., Awaitable[None]], host: str, port: int) -> None:
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
        timeout_graceful_shutdown=10,
    )
