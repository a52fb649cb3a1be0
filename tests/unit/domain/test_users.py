import pytest

from roost.domain.errors import InvalidDisplayName, InvalidHandle, InvalidPassword
from roost.domain.users import (
    handle_key,
    validate_display_name,
    validate_handle,
    validate_password,
)


@pytest.mark.parametrize("handle", ["abc", "Alice_99", "a" * 30])
def test_good_handles(handle: str) -> None:
    assert validate_handle(handle) == handle


@pytest.mark.parametrize(
    "handle",
    [
        "ab",
        "a" * 31,
        "al ice",
        "alice!",
        "élise",
        "",
        "bob\n",
        "alice\u202e",
        "\u202dalice",
        "ali\u2066ce\u2069",
        "bob\u200b",
        "\u3164\u3164\u3164",
    ],
)
def test_bad_handles(handle: str) -> None:
    with pytest.raises(InvalidHandle):
        validate_handle(handle)


def test_handles_are_unique_ignoring_case() -> None:
    assert handle_key("Alice") == handle_key("aLICE")


@pytest.mark.parametrize("password", ["1234567", "x" * 257])
def test_bad_passwords(password: str) -> None:
    with pytest.raises(InvalidPassword):
        validate_password(password)


def test_display_name_defaults_to_handle_and_is_trimmed() -> None:
    assert validate_display_name(None, "alice") == "alice"
    assert validate_display_name("  Alice A.  ", "alice") == "Alice A."


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "x" * 51,
        "tab\there",
        "Alice\u202e",  # right-to-left override
        "\u202dBob",  # left-to-right override
        "\u2067Eve\u2069",  # right-to-left isolate
        "\u200f\u200eMallory",  # bidi marks
        "\u3164",  # Hangul filler: blank-looking
        "\u2800\u2800",  # braille blank
        " \u115f\uffa0 ",
    ],
)
def test_bad_display_names(name: str) -> None:
    with pytest.raises(InvalidDisplayName):
        validate_display_name(name, "alice")
