"""Which posts a fill reads a reader's flags complete from: recent ones only."""

from datetime import UTC, datetime, timedelta

from roost.domain.ids import smallest_id_at
from roost.services.engagement import COMPLETE_FLAGS_WINDOW, Engagement

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW


class _Cache:
    def __init__(self, complete_flags: bool) -> None:
        self.complete_flags = complete_flags


def since(unflagged: list[int], *, complete_flags: bool = True) -> int | None:
    engagement = Engagement(None, _Cache(complete_flags), _Clock())  # type: ignore[arg-type]
    return engagement._complete_since(unflagged)


def test_an_old_post_shown_does_not_pull_the_mark_back() -> None:
    old = smallest_id_at(NOW - COMPLETE_FLAGS_WINDOW - timedelta(hours=1))
    recent = [smallest_id_at(NOW - timedelta(hours=h)) for h in (1, 5)]
    assert since([old, *recent]) == recent[1]
    assert since([old]) is None
    assert since([]) is None


def test_a_cache_that_keeps_no_mark_is_filled_post_by_post() -> None:
    assert since([smallest_id_at(NOW)], complete_flags=False) is None
