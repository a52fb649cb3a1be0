"""Publishing: post, read and delete tweets (replies and mentions included). Fanout and
notifications happen after, from the events."""

from __future__ import annotations

import dataclasses
import logging

from roost.domain import events
from roost.domain.errors import Forbidden, NotFound, RateLimited
from roost.domain.ids import IdGenerator
from roost.domain.mentions import mentioned_handles
from roost.domain.rate_limits import Quota
from roost.domain.tweets import Author, Counts, Flags, Tweet, normalise_content
from roost.domain.users import User
from roost.ports import (
    Clock,
    EngagementCache,
    Hit,
    HomeFeeds,
    RateLimiter,
    StoreUnavailable,
    UnitOfWork,
    UnitOfWorkFactory,
)
from roost.services.engagement import Engagement
from roost.services.group_commit import GroupCommit, Outcomes
from roost.services.hydration import TweetHydrator
from roost.services.views import render_tweet, with_engagement

log = logging.getLogger(__name__)

REPLY_TARGET_GONE = "The tweet you reply to does not exist or was deleted."
POSTS_PER_TRANSACTION = 100


async def original_of(uow: UnitOfWork, tweet_id: int, missing: str = "No such tweet.") -> Tweet:
    """The post a live tweet shows (the original of a repost, else the tweet): what replies,
    likes and reposts act on. Raises NotFound with ``missing`` when there is none."""
    tweet = await uow.tweets.get(tweet_id)
    if tweet is None:
        raise NotFound(missing)
    return tweet.repost_of or tweet


def _too_fast(quota: Quota) -> RateLimited:
    return RateLimited("You are posting too fast; wait a little.", quota)


class Publishing:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        feeds: HomeFeeds,
        hydrator: TweetHydrator,
        engagement: Engagement,
        engagement_cache: EngagementCache,
        rate_limiter: RateLimiter,
        ids: IdGenerator,
        clock: Clock,
        *,
        max_chars: int,
        posts_per_minute: int,
    ) -> None:
        self._uow = uow
        self._feeds = feeds
        self._hydrator = hydrator
        self._engagement = engagement
        self._engagement_cache = engagement_cache
        self._rate_limiter = rate_limiter
        self._ids = ids
        self._clock = clock
        self._max_chars = max_chars
        self._posts_per_minute = posts_per_minute
        self._posts = GroupCommit(self._accept_posts, max_batch=POSTS_PER_TRANSACTION)

    async def publish(self, author: User, content: str, in_reply_to: int | None = None) -> Tweet:
        """Store the tweet with its mentions and its ``tweet.created`` event; the author sees
        it at once. A reply to a repost replies to the original. Posts arriving together are
        accepted together (see group_commit.py and _accept_posts)."""
        draft = Tweet(
            id=self._ids.next_id(),
            author=Author(author.id, author.handle, author.display_name),
            content=normalise_content(content, self._max_chars),
            created_at=self._clock.now(),
            in_reply_to=in_reply_to,
        )
        return await self._posts.submit(draft)

    async def get(self, reader: User, tweet_id: int) -> bytes:
        rendered = await self._hydrator.rendered([tweet_id])
        if tweet_id not in rendered:
            raise NotFound("No such tweet.")
        return await self._engagement.present_one(reader.id, tweet_id, rendered[tweet_id])

    async def present(self, reader: User, tweet: Tweet) -> bytes:
        """A tweet just written, as the reader sees it."""
        return await self._engagement.present_one(reader.id, tweet.id, render_tweet(tweet))

    @staticmethod
    def present_new(tweet: Tweet) -> bytes:
        """A post just published, as its author sees it: nobody has liked, replied to or
        reposted it yet, so there is nothing to look up."""
        return with_engagement(render_tweet(tweet), Counts(), Flags())

    async def delete(self, caller: User, tweet_id: int) -> None:
        """Hidden everywhere at once, with its reposts; the ``tweet.deleted`` events then clear
        them from feeds. Deleting a repost is undoing it."""
        async with self._uow() as uow:
            tweet = await uow.tweets.get(tweet_id)
            if tweet is None:
                raise NotFound("No such tweet.")
            if tweet.author.id != caller.id:
                raise Forbidden("Only its author may delete a tweet.")
            withdrawn = [(tweet_id, caller.id)] + await uow.reposts.remove_all_of(tweet_id)
            for gone_id, author_id in withdrawn:
                await uow.tweets.mark_deleted(gone_id, self._clock.now())
                uow.outbox.add(events.tweet_deleted(gone_id, author_id))
            if tweet.repost_of is not None:
                await uow.reposts.remove(caller.id, tweet.repost_of.id)
            await uow.commit()
        for gone_id, _ in withdrawn:
            await self._hydrator.forget(gone_id)
        if tweet.repost_of is not None:
            await self._remember_repost(caller.id, tweet.repost_of.id, False)

    async def show_to_author(self, *tweets: Tweet) -> None:
        """Authors see their posts at once (one round trip for many). Fanout repeats it, so a
        failure here loses nothing."""
        try:
            await self._feeds.push_many([(tweet.entry, [tweet.author.id]) for tweet in tweets])
        except StoreUnavailable:
            log.warning("feed store unavailable; %d posts reach feeds through fanout", len(tweets))

    async def limit_rate(self, author: User) -> None:
        quota = await self._rate_limiter.hit(f"post:{author.id}", self._posts_per_minute, 60)
        if not quota.allowed:
            raise _too_fast(quota)

    async def _remember_repost(self, user_id: int, tweet_id: int, reposted: bool) -> None:
        try:
            await self._engagement_cache.set_reposted(user_id, tweet_id, reposted)
        except StoreUnavailable:
            log.warning("engagement cache unavailable; repost flag of %s not cached", tweet_id)

    async def _accept_posts(self, drafts: list[Tweet]) -> Outcomes[Tweet]:
        """A batch of posts in three round trips, however many: the authors' rate limits, one
        transaction, the authors' own feeds."""
        quotas = await self._rate_limiter.hit_many(
            [Hit(f"post:{draft.author.id}", self._posts_per_minute, 60) for draft in drafts]
        )
        allowed = [draft for draft, quota in zip(drafts, quotas, strict=True) if quota.allowed]
        stored = iter(await self._store_posts(allowed) if allowed else [])
        outcomes = [next(stored) if quota.allowed else _too_fast(quota) for quota in quotas]
        await self.show_to_author(*(post for post in outcomes if isinstance(post, Tweet)))
        return outcomes

    async def _store_posts(self, drafts: list[Tweet]) -> Outcomes[Tweet]:
        """One transaction for the batch: each reply pointed at its target's original, each
        post's mentions, the posts, their events. A reply whose target is gone fails alone;
        should the batch fail otherwise, each post is tried again alone, so that one bad post
        fails only its own request."""
        try:
            return await self._store_together(drafts)
        except StoreUnavailable:
            raise
        except Exception:
            if len(drafts) == 1:
                raise
            log.exception("a batch of %d posts failed; storing them one by one", len(drafts))
        return [await self._store_alone(draft) for draft in drafts]

    async def _store_alone(self, draft: Tweet) -> Tweet | Exception:
        try:
            return (await self._store_together([draft]))[0]
        except Exception as error:
            return error

    async def _store_together(self, drafts: list[Tweet]) -> Outcomes[Tweet]:
        outcomes: list[Tweet | Exception] = []
        async with self._uow() as uow:
            targets = await uow.tweets.many([d.in_reply_to for d in drafts if d.in_reply_to])
            for draft in drafts:
                if draft.in_reply_to is None:
                    outcomes.append(draft)
                elif (target := targets.get(draft.in_reply_to)) is None:
                    outcomes.append(NotFound(REPLY_TARGET_GONE))
                else:
                    original = target.repost_of or target
                    outcomes.append(dataclasses.replace(draft, in_reply_to=original.id))
            posts = [outcome for outcome in outcomes if isinstance(outcome, Tweet)]
            await uow.tweets.add(posts)
            await uow.mentions.add(await self._mentions(uow, posts))
            for post in posts:
                uow.outbox.add(events.tweet_created(post.id, post.author.id))
            await uow.commit()
        return outcomes

    @staticmethod
    async def _mentions(uow: UnitOfWork, posts: list[Tweet]) -> dict[int, list[int]]:
        """The users each post mentions, its author left out."""
        handles = {post.id: mentioned_handles(post.content) for post in posts}
        wanted = {handle for found in handles.values() for handle in found}
        if not wanted:
            return {}
        ids = await uow.users.ids_by_handle_key(sorted(wanted))
        return {
            post.id: [
                ids[handle]
                for handle in handles[post.id]
                if handle in ids and ids[handle] != post.author.id
            ]
            for post in posts
        }
