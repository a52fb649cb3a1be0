"""Blocks and mutes: which accounts a reader does not see.

A block works both ways (neither sees the other); a mute one way (the muter stops seeing the
muted account in their home feed and notifications; the muted still sees the muter).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Hidden:
    """The accounts hidden from one reader."""

    blocked: frozenset[int] = frozenset()  # they blocked the reader, or the reader them
    muted: frozenset[int] = frozenset()  # the reader muted them
    everyone: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "everyone", self.blocked | self.muted)

    def hides(self, author_id: int, origin_author_id: int | None = None) -> bool:
        """Whether a post (or a repost: by its reposter or its original's author) is hidden
        from the home feed and the notifications."""
        return author_id in self.everyone or origin_author_id in self.everyone


NOTHING_HIDDEN = Hidden()
