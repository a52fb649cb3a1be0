import asyncio
from collections.abc import Awaitable, Callable

import pytest

from roost.services.background import stop_if_cancelled


class DriverError(Exception):
    """What a client raises instead of CancelledError when cancelled mid-call."""


async def _call_that_hides_cancellation() -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise DriverError("connection was closed in the middle of operation") from None


async def _call_that_swallows_cancellation() -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        return  # as if it had finished


async def _loop(errors: list[BaseException], call: Callable[[], Awaitable[None]]) -> None:
    while True:
        try:
            await call()
        except Exception as error:
            stop_if_cancelled(error)
            errors.append(error)
        stop_if_cancelled()
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("call", [_call_that_hides_cancellation, _call_that_swallows_cancellation])
async def test_a_loop_stops_when_a_call_hides_its_cancellation(
    call: Callable[[], Awaitable[None]],
) -> None:
    errors: list[BaseException] = []
    task = asyncio.create_task(_loop(errors, call))
    await asyncio.sleep(0.01)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done == {task}
    assert task.cancelled()
    assert errors == []


async def test_other_errors_let_the_loop_go_on() -> None:
    stop_if_cancelled(DriverError("a plain failure"))  # not cancelled: returns
