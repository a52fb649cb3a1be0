import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from roost.domain.errors import InvalidContent
from roost.domain.text import has_visible_character
from roost.domain.tweets import normalise_content


def test_content_is_counted_after_nfc() -> None:
    decomposed = "e\u0301" * 280  # 560 code points, 280 characters once composed
    assert normalise_content(decomposed, 280) == "\u00e9" * 280


@pytest.mark.parametrize(
    "content",
    ["", "   ", "\n\t", "a" * 281, "bell\x07", "nul\x00", "esc\x1b[31m", "del\x7f", "c1\x85"],
)
def test_bad_content_is_refused(content: str) -> None:
    with pytest.raises(InvalidContent):
        normalise_content(content, 280)


@pytest.mark.parametrize(
    "content",
    [
        "\u200b",
        "\u200b\u200c\u200d\u2060\ufeff",
        "\u202e\u202d\u2066\u2069\u200e\u200f",
        "\u3164",
        "\u115f\u1160\uffa0",
        "\u2800" * 10,
        " \u180e \u034f\n",
    ],
)
def test_posts_made_only_of_invisible_characters_are_refused(content: str) -> None:
    with pytest.raises(InvalidContent, match="visible"):
        normalise_content(content, 280)


@pytest.mark.parametrize(
    "text",
    ["👩\u200d👩\u200d👧", "\u202b\u05e9\u05dc\u05d5\u05dd\u202c world", "\u3164hi", "a\u200b"],
)
def test_invisible_characters_next_to_visible_ones_are_kept(text: str) -> None:
    assert normalise_content(text, 280) == text


def test_newlines_and_emoji_with_joiners_are_kept() -> None:
    text = "line one\nline two 👩\u200d💻"
    assert normalise_content(text, 280) == text


@given(st.text(min_size=1, max_size=400))
def test_accepted_content_obeys_every_rule(content: str) -> None:
    try:
        stored = normalise_content(content, 280)
    except InvalidContent:
        return
    assert stored == unicodedata.normalize("NFC", stored)
    assert 1 <= len(stored) <= 280
    assert stored.strip()
    assert has_visible_character(stored)
    assert all(ch == "\n" or unicodedata.category(ch) not in {"Cc", "Cs"} for ch in stored)
