"""Analytics over REST: a tweet's stats for its author, a user's for that user, the service's
overview and request forecast for admins. The rules are in services/analytics.py."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get

from roost.bootstrap import Roost
from roost.domain.users import User
from roost.entrypoints.rest.ids import path_id
from roost.services.analytics import DailyCounts

DEFAULT_DAYS = 7


class TweetStatsView(msgspec.Struct):
    impressions: int
    likes: int
    replies: int
    reposts: int


class UserDay(msgspec.Struct):
    day: str
    followers_gained: int
    followers_lost: int
    posts: int
    impressions: int


class UserStatsView(msgspec.Struct):
    handle: str
    days: list[UserDay]


class OverviewDay(msgspec.Struct):
    day: str
    active_users: int
    posts: int
    follows: int
    feed_reads: int
    impressions: int
    requests: int


class OverviewView(msgspec.Struct):
    days: list[OverviewDay]


class ForecastHour(msgspec.Struct):
    start: str
    requests_per_second: float


class ForecastView(msgspec.Struct):
    method: str
    horizon_hours: int
    hours: list[ForecastHour]


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def _rows(daily: DailyCounts) -> list[dict[str, str | int]]:
    return [
        {"day": _day(day)} | {metric.value: values[i] for metric, values in daily.counts.items()}
        for i, day in enumerate(daily.days)
    ]


class AnalyticsController(Controller):
    tags = ["analytics"]

    @get(
        "/tweets/{tweet_id:str}/stats", summary="Your tweet's impressions, likes, replies, reposts"
    )
    async def tweet_stats(self, tweet_id: str, roost: Roost, caller: User) -> TweetStatsView:
        stats = await roost.analytics.tweet_stats(caller, path_id(tweet_id))
        return TweetStatsView(stats.impressions, stats.likes, stats.replies, stats.reposts)

    @get("/users/{handle:str}/stats", summary="Your own counts per day, oldest first")
    async def user_stats(
        self, handle: str, roost: Roost, caller: User, days: int = DEFAULT_DAYS
    ) -> UserStatsView:
        daily = await roost.analytics.user_stats(caller, handle, days)
        return UserStatsView(caller.handle, msgspec.convert(_rows(daily), list[UserDay]))

    @get("/analytics/overview", summary="The service's counts per day, oldest first (admins)")
    async def overview(self, roost: Roost, caller: User, days: int = DEFAULT_DAYS) -> OverviewView:
        daily = await roost.analytics.overview(caller, days)
        return OverviewView(msgspec.convert(_rows(daily), list[OverviewDay]))

    @get("/analytics/forecast", summary="Expected requests per second, hour by hour (admins)")
    async def forecast(self, roost: Roost, caller: User, horizon: str = "24h") -> ForecastView:
        predicted = await roost.analytics.forecast(caller, horizon)
        return ForecastView(
            predicted.method,
            len(predicted.hours),
            [
                ForecastHour(at.strftime("%Y-%m-%dT%H:%M:%SZ"), round(rate, 3))
                for at, rate in predicted.hours
            ],
        )
