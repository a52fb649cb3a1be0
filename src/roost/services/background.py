"""Helpers for the loops that run in the background until cancelled."""

from __future__ import annotations

import asyncio


def stop_if_cancelled(error: BaseException | None = None) -> None:
    """Re-raise a cancellation that a library turned into another error, or swallowed.

    A loop that logs errors and goes on must still stop when cancelled; but database and Redis
    clients cancelled mid-call may raise their own error instead of CancelledError, or even
    return as if never cancelled (redis-py 8: 5 calls in 300 cancelled mid-way). A task that
    swallowed it would run on, and whoever awaits its end would wait forever. Loops call this
    after each round, with the error when there was one."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error
