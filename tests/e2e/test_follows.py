"""Following and unfollowing; follower/following counts and lists."""

from __future__ import annotations

from .support import (
    Server,
    assert_error,
    assert_user,
    collect_pages,
    follow,
    get_page,
    get_user,
    new_account,
    unfollow,
)


def test_follow_and_unfollow_update_the_counts(api: Server) -> None:
    alice = new_account(api.client, "alice")
    bob = new_account(api.client, "bob")

    def counts(handle: str) -> tuple[int, int]:
        user = get_user(api.client, alice, handle)
        return user["followers_count"], user["following_count"]

    follow(api.client, alice, bob.handle)
    assert counts(alice.handle) == (0, 1)
    assert counts(bob.handle) == (1, 0)

    # Following again is a no-op.
    follow(api.client, alice, bob.handle)
    assert counts(alice.handle) == (0, 1)
    assert counts(bob.handle) == (1, 0)

    # Handles are looked up ignoring case: this is still the same follow.
    follow(api.client, alice, bob.handle.upper())
    assert counts(bob.handle) == (1, 0)

    unfollow(api.client, alice, bob.handle)
    assert counts(alice.handle) == (0, 0)
    assert counts(bob.handle) == (0, 0)

    # Unfollowing when not following is fine too.
    unfollow(api.client, alice, bob.handle)
    assert counts(alice.handle) == (0, 0)
    assert counts(bob.handle) == (0, 0)

    # And following again after an unfollow works.
    follow(api.client, alice, bob.handle)
    assert counts(bob.handle) == (1, 0)


def test_counts_add_up_over_several_users(api: Server) -> None:
    star = new_account(api.client, "star")
    fans = [new_account(api.client, "fan") for _ in range(3)]
    for fan in fans:
        follow(api.client, fan, star.handle)
    follow(api.client, star, fans[0].handle)
    assert get_user(api.client, star, star.handle)["followers_count"] == 3
    assert get_user(api.client, star, star.handle)["following_count"] == 1
    assert get_user(api.client, star, fans[0].handle)["followers_count"] == 1
    assert get_user(api.client, star, fans[0].handle)["following_count"] == 1
    unfollow(api.client, fans[1], star.handle)
    assert get_user(api.client, star, star.handle)["followers_count"] == 2


def test_cannot_follow_yourself(api: Server) -> None:
    alice = new_account(api.client, "self")
    for handle in (alice.handle, alice.handle.upper()):
        response = api.client.post(f"/users/{handle}/follow", headers=alice.headers)
        assert_error(response, 422, "cannot_follow_self")
    me = get_user(api.client, alice, alice.handle)
    assert (me["followers_count"], me["following_count"]) == (0, 0)


def test_follow_unknown_user_is_not_found(api: Server) -> None:
    alice = new_account(api.client, "lonely")
    response = api.client.post("/users/no_such_user_xyz_123/follow", headers=alice.headers)
    assert_error(response, 404, "not_found")
    assert get_user(api.client, alice, alice.handle)["following_count"] == 0


def test_follow_requires_authentication(api: Server) -> None:
    bob = new_account(api.client, "bob")
    assert_error(api.client.post(f"/users/{bob.handle}/follow"), 401, "unauthorized")
    assert_error(api.client.delete(f"/users/{bob.handle}/follow"), 401, "unauthorized")
    assert get_user(api.client, bob, bob.handle)["followers_count"] == 0


def test_followers_and_following_lists_newest_follow_first(api: Server) -> None:
    star = new_account(api.client, "star")
    fans = [new_account(api.client, "fan") for _ in range(3)]
    for fan in fans:
        follow(api.client, fan, star.handle)

    body = get_page(api.client, f"/users/{star.handle}/followers", fans[0])
    assert body["next_cursor"] is None
    for user in body["items"]:
        assert_user(user)
    assert [user["handle"] for user in body["items"]] == [fan.handle for fan in reversed(fans)]
    # The items are full user objects with current counts.
    assert body["items"][0]["following_count"] == 1

    # fans[0] follows two more people, in this order.
    others = [new_account(api.client, "other") for _ in range(2)]
    for other in others:
        follow(api.client, fans[0], other.handle)
    following = get_page(api.client, f"/users/{fans[0].handle}/following", star)
    assert [user["handle"] for user in following["items"]] == [
        others[1].handle,
        others[0].handle,
        star.handle,
    ]
    assert following["items"][2]["followers_count"] == 3

    # Unfollowing removes the entry; following again puts it first.
    unfollow(api.client, fans[2], star.handle)
    follow(api.client, fans[0], star.handle)  # already following: no change of order
    after = get_page(api.client, f"/users/{star.handle}/followers", star)["items"]
    assert [user["handle"] for user in after] == [fans[1].handle, fans[0].handle]
    follow(api.client, fans[2], star.handle)
    again = get_page(api.client, f"/users/{star.handle}/followers", star)["items"]
    assert [user["handle"] for user in again] == [
        fans[2].handle,
        fans[1].handle,
        fans[0].handle,
    ]

    # Lists of someone with no follows are empty.
    loner = new_account(api.client, "loner")
    assert get_page(api.client, f"/users/{loner.handle}/followers", loner) == {
        "items": [],
        "next_cursor": None,
    }
    assert get_page(api.client, f"/users/{loner.handle}/following", loner) == {
        "items": [],
        "next_cursor": None,
    }


def test_followers_list_pages(api: Server) -> None:
    star = new_account(api.client, "star")
    fans = [new_account(api.client, "fan") for _ in range(5)]
    for fan in fans:
        follow(api.client, fan, star.handle)
    expected = [fan.handle for fan in reversed(fans)]

    pages = collect_pages(api.client, f"/users/{star.handle}/followers", star, limit=2)
    assert [[user["handle"] for user in page] for page in pages] == [
        expected[0:2],
        expected[2:4],
        expected[4:5],
    ]
    # A last page that is exactly full ends the listing.
    pages = collect_pages(api.client, f"/users/{star.handle}/followers", star, limit=5)
    assert [[user["handle"] for user in page] for page in pages] == [expected]

    # following pages the same way
    for fan in fans:
        follow(api.client, star, fan.handle)
    pages = collect_pages(api.client, f"/users/{star.handle}/following", star, limit=3)
    assert [[user["handle"] for user in page] for page in pages] == [expected[0:3], expected[3:5]]
