"""Users and the rules for their handles, names and passwords."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from roost.domain.errors import InvalidDisplayName, InvalidHandle, InvalidPassword
from roost.domain.text import has_visible_character

HANDLE_PATTERN = re.compile(r"[A-Za-z0-9_]{3,30}")
PASSWORD_MIN, PASSWORD_MAX = 8, 256
DISPLAY_NAME_MAX = 50


@dataclass(frozen=True, slots=True)
class User:
    id: int
    handle: str
    display_name: str
    followers_count: int
    following_count: int
    created_at: datetime
    last_seen_at: datetime | None = None
    pulled: bool = False  # followers pull this user's posts (a celebrity); see fanout_policy


def validate_handle(handle: str) -> str:
    """A handle as typed (its case is kept for display); uniqueness ignores case."""
    if not HANDLE_PATTERN.fullmatch(handle):
        raise InvalidHandle("A handle is 3 to 30 letters, digits or underscores.")
    return handle


def could_be_handle(handle: str) -> bool:
    """Whether a lookup by this handle can find anyone: others never reach storage."""
    return HANDLE_PATTERN.fullmatch(handle) is not None


def handle_key(handle: str) -> str:
    """The form under which handles are unique and looked up."""
    return handle.lower()


def validate_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidPassword(f"A password is {PASSWORD_MIN} to {PASSWORD_MAX} characters.")
    return password


def validate_display_name(display_name: str | None, handle: str) -> str:
    """The display name, NFC-normalised and trimmed; the handle when none is given.

    No category C character (controls, format characters such as bidi overrides, which could
    make a name read as another's), and at least one visible one."""
    if display_name is None:
        return handle
    name = unicodedata.normalize("NFC", display_name).strip()
    if (
        not 1 <= len(name) <= DISPLAY_NAME_MAX
        or any(unicodedata.category(ch)[0] == "C" for ch in name)
        or not has_visible_character(name)
    ):
        raise InvalidDisplayName(f"A display name is 1 to {DISPLAY_NAME_MAX} printable characters.")
    return name
