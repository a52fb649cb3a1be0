import asyncio

from roost.services.background import stop_if_cancelled


class DriverError(Exception):
    """What a client raises instead of CancelledError when cancelled mid-call."""


async def _call_that_hides_cancellation() -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        raise DriverError("connection was closed in the middle of operation") from None


async def _loop(errors: list[BaseException]) -> None:
    while True:
        try:
            await _call_that_hides_cancellation()
        except Exception as error:
            stop_if_cancelled(error)
            errors.append(error)
        await asyncio.sleep(0.01)


async def test_a_loop_stops_when_a_cancellation_comes_back_as_another_error() -> None:
    errors: list[BaseException] = []
    task = asyncio.create_task(_loop(errors))
    await asyncio.sleep(0.01)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done == {task}
    assert task.cancelled()
    assert errors == []


async def test_other_errors_let_the_loop_go_on() -> None:
    stop_if_cancelled(DriverError("a plain failure"))  # not cancelled: returns
