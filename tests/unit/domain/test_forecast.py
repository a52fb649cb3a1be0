import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from roost.domain.errors import InvalidInput
from roost.domain.forecast import forecast, parse_horizon

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday


def true_rate(at: datetime) -> float:
    """Requests per second: a daily wave, quieter weekends."""
    daily = 1 + 0.6 * math.sin(2 * math.pi * (at.hour - 6) / 24)
    weekly = 0.6 if at.weekday() >= 5 else 1.0
    return 200 * daily * weekly


def synthetic_history(weeks: int, noise: float) -> dict[datetime, float]:
    rng = random.Random(7)
    hours = [START + timedelta(hours=n) for n in range(weeks * 168)]
    return {at: true_rate(at) * 3600 * (1 + rng.uniform(-noise, noise)) for at in hours}


@pytest.mark.parametrize("horizon_hours", [24, 168])
def test_recovers_a_seasonal_series_within_ten_percent(horizon_hours: int) -> None:
    history = synthetic_history(weeks=4, noise=0.1)
    now = START + timedelta(weeks=4)
    result = forecast(history, now, horizon_hours)
    assert result.method == "seasonal mean, hour of week over the last 4 weeks"
    assert len(result.hours) == horizon_hours
    for at, expected in result.hours:
        assert expected == pytest.approx(true_rate(at), rel=0.10), at


def test_a_few_days_of_history_use_the_hour_of_day() -> None:
    history = {
        at: value
        for at, value in synthetic_history(weeks=1, noise=0.0).items()
        if at < START + timedelta(days=3)
    }
    result = forecast(history, START + timedelta(days=3), 24)
    assert result.method == "seasonal mean, hour of day over the last 3 days"
    for at, expected in result.hours:
        assert expected == pytest.approx(true_rate(at), rel=0.01)


def test_without_history_the_forecast_is_zero() -> None:
    result = forecast({}, START, 3)
    assert [rate for _, rate in result.hours] == [0.0, 0.0, 0.0]


def test_less_than_a_day_gives_the_mean_rate() -> None:
    history = {START: 3600.0, START + timedelta(hours=1): 7200.0}
    result = forecast(history, START + timedelta(hours=2), 2)
    assert result.method == "mean"
    assert [rate for _, rate in result.hours] == [1.5, 1.5]


def test_horizon_is_hours_or_days() -> None:
    assert parse_horizon("24h") == 24
    assert parse_horizon("7d") == 168
    for bad in ("", "0h", "24", "15d", "1w"):
        with pytest.raises(InvalidInput):
            parse_horizon(bad)
