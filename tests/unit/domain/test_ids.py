from datetime import UTC, datetime

import pytest

from roost.domain.ids import MAX_ID, IdGenerator, id_timestamp, random_id_at, smallest_id_at


def test_ids_increase_strictly_within_one_millisecond() -> None:
    generator = IdGenerator(worker_id=3, clock=lambda: 1_750_000_000_000)
    ids = [generator.next_id() for _ in range(10_000)]  # more than 4,096: spills over
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_never_go_backwards_when_the_clock_does() -> None:
    times = iter([1_750_000_000_500, 1_750_000_000_000, 1_750_000_000_000])
    generator = IdGenerator(clock=lambda: next(times))
    first, second, third = (generator.next_id() for _ in range(3))
    assert first < second < third


def test_ids_from_different_workers_differ_in_the_same_millisecond() -> None:
    def clock() -> int:
        return 1_750_000_000_000

    assert IdGenerator(1, clock).next_id() != IdGenerator(2, clock).next_id()


def test_an_id_carries_its_timestamp() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    generator = IdGenerator(clock=lambda: int(moment.timestamp() * 1000))
    made = generator.next_id()
    assert id_timestamp(made) == moment
    assert smallest_id_at(moment) <= made
    assert 0 < made <= MAX_ID


def test_worker_ids_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError, match="worker_id"):
        IdGenerator(1024)


def test_random_ids_carry_their_time_and_differ_within_a_millisecond() -> None:
    moment = datetime(2026, 11, 26, 12, 0, 0, 123_000, tzinfo=UTC)
    ids = {random_id_at(moment) for _ in range(1000)}
    assert len(ids) > 990  # 22 random bits: a collision in 1,000 is rare, not excluded
    assert {id_timestamp(made) for made in ids} == {moment}
    assert min(ids) >= smallest_id_at(moment)
    assert max(ids) < smallest_id_at(moment.replace(microsecond=124_000))
