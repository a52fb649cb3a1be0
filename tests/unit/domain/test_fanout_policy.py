from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roost.domain.fanout_policy import Delivery, FanoutPolicy

NOW = datetime(2026, 11, 25, tzinfo=UTC)
POLICY = FanoutPolicy(celebrity_threshold=10_000, inactive_after=timedelta(days=14))


@pytest.mark.parametrize(
    ("count", "celebrity"), [(0, False), (9_999, False), (10_000, True), (10**8, True)]
)
def test_celebrities_have_at_least_the_threshold(count: int, celebrity: bool) -> None:
    assert POLICY.is_celebrity(count) is celebrity


def test_pulled_authors_are_pulled_whoever_follows() -> None:
    assert POLICY.decide(True, NOW, NOW) is Delivery.PULL
    assert POLICY.decide(True, None, NOW) is Delivery.PULL


def test_inactive_followers_are_skipped() -> None:
    assert POLICY.decide(False, NOW - timedelta(days=15), NOW) is Delivery.SKIP
    assert POLICY.decide(False, None, NOW) is Delivery.SKIP


def test_active_followers_of_regular_authors_get_pushes() -> None:
    assert POLICY.decide(False, NOW - timedelta(days=13), NOW) is Delivery.PUSH
    assert POLICY.decide(False, NOW, NOW) is Delivery.PUSH


@given(pulled=st.booleans(), days_away=st.integers(min_value=0, max_value=60))
def test_exactly_one_rule_applies(pulled: bool, days_away: int) -> None:
    seen = NOW - timedelta(days=days_away)
    decision = POLICY.decide(pulled, seen, NOW)
    if pulled:
        assert decision is Delivery.PULL
    else:
        assert decision is (Delivery.SKIP if days_away > 14 else Delivery.PUSH)
