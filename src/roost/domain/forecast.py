"""Forecasting requests per second from the hourly request counts stored by analytics.

The method is a seasonal mean: the forecast for an hour is the mean of the same hour of the
week over the last few weeks of history (the traffic of a Monday 09:00 is most like earlier
Mondays at 09:00). With less than a week of history, the same hour of the day over the last
days stands in; with less than a day, the overall mean. Hours without a stored count had no
requests. Pure: the caller loads the history and names the hours to forecast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from roost.domain.errors import InvalidInput

HOUR = timedelta(hours=1)
WEEK = timedelta(weeks=1)
DAY = timedelta(days=1)
WEEKS_USED = 4
DAYS_USED = 7
MAX_HORIZON_HOURS = 24 * 14
_HORIZON = re.compile(r"([1-9][0-9]*)([hd])")


@dataclass(frozen=True, slots=True)
class Forecast:
    method: str
    hours: list[tuple[datetime, float]]  # (start of the hour, expected requests per second)


def parse_horizon(text: str) -> int:
    """``"24h"`` or ``"7d"`` as a number of hours (at most two weeks)."""
    match = _HORIZON.fullmatch(text.strip())
    if match is None:
        raise InvalidInput("horizon is a number of hours or days, like 24h or 7d.")
    hours = int(match[1]) * (24 if match[2] == "d" else 1)
    if hours > MAX_HORIZON_HOURS:
        raise InvalidInput(f"horizon is at most {MAX_HORIZON_HOURS}h.")
    return hours


def forecast(history: Mapping[datetime, float], start: datetime, hours: int) -> Forecast:
    """Expected requests per second for each of ``hours`` hours from ``start`` (an hour start),
    from ``history``: requests counted per hour, keyed by the start of the hour."""
    if not history:
        return Forecast("no history: zero", [(start + n * HOUR, 0.0) for n in range(hours)])
    first = min(history)
    span = start - first
    if span >= WEEK:
        step, seasons, method = WEEK, WEEKS_USED, "seasonal mean, hour of week"
    elif span >= DAY:
        step, seasons, method = DAY, DAYS_USED, "seasonal mean, hour of day"
    else:
        mean = sum(history.values()) / max(span / HOUR, 1) / 3600
        return Forecast("mean", [(start + n * HOUR, mean) for n in range(hours)])
    used = min(seasons, span // step)
    predicted = []
    for n in range(hours):
        target = start + n * HOUR
        # the latest seasons before ``start`` that hold this hour (a long horizon reaches past
        # the first season back: step back whole seasons until the hour is in the history)
        back = -(-(target - start + HOUR) // step)
        samples = [history.get(target - (back + k) * step, 0.0) for k in range(used)]
        predicted.append((target, sum(samples) / len(samples) / 3600))
    return Forecast(
        f"{method} over the last {used} {'weeks' if step == WEEK else 'days'}", predicted
    )
