"""Builds roost from its settings: the one place that knows both the adapters and the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from roost.adapters.clock import SystemClock
from roost.adapters.local.lru import LruTweetCache
from roost.adapters.local.rate_limiter import LocalRateLimiter
from roost.adapters.local.wakeup import Doorbells
from roost.adapters.passwords import Argon2PasswordHasher
from roost.adapters.sql.engine import Engines, create_engines
from roost.adapters.sql.feed_store import SqlHomeFeeds
from roost.adapters.sql.outbox import SqlEventSource
from roost.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from roost.domain.ids import IdGenerator
from roost.ports import EventSource, HomeFeeds
from roost.services.accounts import Accounts
from roost.services.fanout import Fanout
from roost.services.feed import HomeFeed
from roost.services.follows import Follows
from roost.services.hydration import TweetHydrator
from roost.services.publishing import Publishing
from roost.settings import Settings


@dataclass(frozen=True, slots=True)
class Roost:
    """The wired application: services for the entry points, and what they must close."""

    settings: Settings
    accounts: Accounts
    publishing: Publishing
    follows: Follows
    home_feed: HomeFeed
    fanout: Fanout
    feeds: HomeFeeds
    events: EventSource
    doorbells: Doorbells
    engines: Engines

    async def close(self) -> None:
        await self.engines.dispose()


def build(settings: Settings) -> Roost:
    engines = create_engines(settings.database_url)
    doorbells = Doorbells()
    uow = SqlUnitOfWorkFactory(engines, on_events=doorbells.ring_all)
    feeds = SqlHomeFeeds(engines, settings.feed_max_items)
    hydrator = TweetHydrator(uow, LruTweetCache(settings.tweet_cache_size))
    ids = IdGenerator(settings.worker_id)
    clock = SystemClock()
    rate_limiter = LocalRateLimiter()
    passwords = Argon2PasswordHasher(
        settings.password_hash_time_cost, settings.password_hash_memory_kib
    )
    return Roost(
        settings=settings,
        accounts=Accounts(
            uow,
            passwords,
            rate_limiter,
            ids,
            clock,
            token_ttl=timedelta(days=settings.token_ttl_days),
            logins_per_minute=settings.rate_limit_logins_per_minute,
        ),
        publishing=Publishing(
            uow,
            feeds,
            hydrator,
            rate_limiter,
            ids,
            clock,
            max_chars=settings.tweet_max_chars,
            posts_per_minute=settings.rate_limit_posts_per_minute,
        ),
        follows=Follows(uow, ids, clock),
        home_feed=HomeFeed(feeds, hydrator),
        fanout=Fanout(uow, feeds, feed_max_items=settings.feed_max_items),
        feeds=feeds,
        events=SqlEventSource(engines),
        doorbells=doorbells,
        engines=engines,
    )
