"""Idempotency keys: what makes a retried write safe.

A client names a write with a key of its own choosing; the first response to it is stored and
given again to every retry of the same request. A key stands for one request only: its
fingerprint (a digest of what was asked) tells a retry from another request under the same key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from roost.domain.errors import InvalidInput

MAX_KEY_LENGTH = 255


def validate_key(raw: str) -> str:
    """A key is 1-255 printable ASCII characters (space to tilde)."""
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in raw):
        raise InvalidInput(f"An Idempotency-Key is 1-{MAX_KEY_LENGTH} printable ASCII characters.")
    return raw


def fingerprint(*parts: bytes) -> str:
    """The SHA-256 of the parts, each length-prefixed so that no two lists of parts collide."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(b"%d:" % len(part))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first answer to a keyed request, as it is replayed."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
