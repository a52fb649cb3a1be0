from datetime import UTC, datetime

from roost.domain.notifications import NotificationType, group_key

AT = datetime(2026, 11, 25, 23, 59, tzinfo=UTC)


def test_likes_and_reposts_group_by_post_and_follows_by_day() -> None:
    assert group_key(1, NotificationType.LIKE, 42, AT) == "like:42"
    assert group_key(2, NotificationType.REPOST, 42, AT) == "repost:42"
    assert group_key(3, NotificationType.FOLLOW, None, AT) == "follow:2026-11-25"


def test_replies_and_mentions_stand_alone() -> None:
    assert group_key(7, NotificationType.REPLY, 42, AT) == "n:7"
    assert group_key(8, NotificationType.MENTION, 42, AT) == "n:8"
