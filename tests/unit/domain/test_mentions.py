from roost.domain.mentions import MAX_MENTIONS, mentioned_handles


def test_handles_are_found_once_in_order_ignoring_case() -> None:
    text = "@Bob hi, @alice! and @bob again (@carol_1)"
    assert mentioned_handles(text) == ["bob", "alice", "carol_1"]


def test_mail_addresses_words_and_short_names_are_not_mentions() -> None:
    assert mentioned_handles("write to me@example.org or x@@bob, @ab, word@bob") == []


def test_at_most_ten_people_are_mentioned() -> None:
    text = " ".join(f"@user{n}" for n in range(MAX_MENTIONS + 5))
    assert mentioned_handles(text) == [f"user{n}" for n in range(MAX_MENTIONS)]
