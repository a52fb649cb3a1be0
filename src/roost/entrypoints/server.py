"""The HTTP server every roost ASGI app runs on, with one set of options, so that the
benchmark's floor endpoints (bench/floor.py) are served exactly as the API is."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable

from roost.entrypoints.http_limits import HeadLimits, limited_protocol
from roost.settings import Settings

# Python collects its youngest generation every 700 net allocations of container objects: every
# request or two of a feed read, each time walking the objects of every request in flight. With
# the threshold raised, a read allocates and frees its objects between collections, and the
# long-lived ones (modules, the app) are frozen out of them: 10-15% less CPU a feed read and a
# p99 at 64 connections of 40-50 ms instead of 115 (`roost bench http`, scaled).
GC_THRESHOLDS = (50_000, 20, 100)


def run_server(
    app: Callable[..., Awaitable[None]], host: str, port: int, limits: HeadLimits | None = None
) -> None:
    """Serve ``app``; ``limits`` on request heads default to those of the settings."""
    import uvicorn

    protocol = limited_protocol(limits or HeadLimits.from_settings(Settings()))

    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)

    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http=protocol,
        access_log=False,
        log_level="info",
        log_config=None,  # the process's logging is set once: entrypoints/logs.py
        timeout_graceful_shutdown=10,
    )
