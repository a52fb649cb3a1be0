import asyncio

import pytest

from roost.services.group_commit import GroupCommit, Outcomes


class Recorder:
    """A batch writer that records its batches and can be held until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()

    async def write(self, items: list[int]) -> Outcomes[str]:
        self.batches.append(items)
        await self.release.wait()
        return [ValueError(f"bad {i}") if i < 0 else f"stored {i}" for i in items]


async def test_a_write_alone_is_written_at_once() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, max_batch=10)
    assert await commits.submit(1) == "stored 1"
    assert recorder.batches == [[1]]


async def test_writes_arriving_during_a_batch_share_the_next_one() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, max_batch=3)
    recorder.release.clear()
    first = asyncio.create_task(commits.submit(1))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(commits.submit(i)) for i in range(2, 7)]
    await asyncio.sleep(0)
    recorder.release.set()
    assert await first == "stored 1"
    assert await asyncio.gather(*waiting) == [f"stored {i}" for i in range(2, 7)]
    assert recorder.batches == [[1], [2, 3, 4], [5, 6]]


async def test_an_item_that_fails_fails_only_its_own_caller() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, max_batch=10)
    recorder.release.clear()
    blocker = asyncio.create_task(commits.submit(0))
    await asyncio.sleep(0)
    good, bad = asyncio.create_task(commits.submit(1)), asyncio.create_task(commits.submit(-1))
    await asyncio.sleep(0)
    recorder.release.set()
    await blocker
    assert await good == "stored 1"
    with pytest.raises(ValueError, match="bad -1"):
        await bad
    assert recorder.batches == [[0], [1, -1]]


async def test_a_batch_that_raises_fails_each_of_its_callers() -> None:
    async def broken(items: list[int]) -> Outcomes[str]:
        raise ConnectionError("database down")

    commits = GroupCommit(broken, max_batch=10)
    results = await asyncio.gather(commits.submit(1), commits.submit(2), return_exceptions=True)
    assert [type(result) for result in results] == [ConnectionError, ConnectionError]
    with pytest.raises(ConnectionError):
        await commits.submit(3)  # and it writes again afterwards


async def test_a_caller_that_goes_away_does_not_stop_the_batch() -> None:
    recorder = Recorder()
    commits = GroupCommit(recorder.write, max_batch=10)
    recorder.release.clear()
    gone = asyncio.create_task(commits.submit(1))
    await asyncio.sleep(0)
    gone.cancel()
    stays = asyncio.create_task(commits.submit(2))
    await asyncio.sleep(0)
    recorder.release.set()
    assert await stays == "stored 2"
    assert recorder.batches == [[1], [2]]
