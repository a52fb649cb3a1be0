import pytest
from hypothesis import given
from hypothesis import strategies as st

from roost.domain.text import BLANK_LOOKING, has_visible_character, is_invisible

ZERO_WIDTH_AND_BIDI = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u200e\u200f",  # left-to-right and right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e",  # bidi embeddings and overrides
    "\u2066\u2067\u2068\u2069",  # bidi isolates
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\U000e0041",  # tag latin capital A
]
BLANK_LETTERS = ["\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e", "\u034f", "\u17b4"]
SPACES = [" ", "\u00a0", "\u2003", "\u3000", "\u2028", "\u2029", "\n\t\r"]


@pytest.mark.parametrize("text", ZERO_WIDTH_AND_BIDI + BLANK_LETTERS + SPACES + ["\ufe0f"])
def test_text_made_of_invisible_characters_shows_nothing(text: str) -> None:
    assert not has_visible_character(text)
    assert not has_visible_character(text * 3 + " ")


@pytest.mark.parametrize(
    "text", ["a", "é", "☃", "👩\u200d💻", "\u202ehello", "ㅤx", "\u0661", "中", "\u0301"]
)
def test_one_visible_character_is_enough(text: str) -> None:
    assert has_visible_character(text)


INVISIBLE = st.sampled_from(sorted(BLANK_LOOKING)) | st.characters(
    categories=["Cf", "Zs", "Zl", "Zp", "Cc"]
)


@given(st.text(alphabet=INVISIBLE))
def test_any_mix_of_invisible_characters_shows_nothing(text: str) -> None:
    assert not has_visible_character(text)


@given(st.characters(categories=["L", "N", "P", "S"]))
def test_letters_digits_punctuation_and_symbols_show_unless_blank_looking(ch: str) -> None:
    assert is_invisible(ch) == (ch in BLANK_LOOKING)


@given(
    st.text(alphabet=INVISIBLE), st.characters(categories=["L", "N"]), st.text(alphabet=INVISIBLE)
)
def test_invisible_characters_around_a_visible_one_show_it(
    before: str, visible: str, after: str
) -> None:
    assert has_visible_character(before + visible + after) == (visible not in BLANK_LOOKING)
