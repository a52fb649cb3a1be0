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


@pytest.mark.parametrize("handle", ["ab", "a" * 31, "al ice", "alice!", "élise", "", "bob\n"])
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


@pytest.mark.parametrize("name", ["", "   ", "x" * 51, "tab\there"])
def test_bad_display_names(name: str) -> None:
    with pytest.raises(InvalidDisplayName):
        validate_display_name(name, "alice")
