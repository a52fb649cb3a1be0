"""Which characters a reader can see: a post or a display name must show at least one.

Invisible are whitespace, format characters (category Cf: zero-width space and joiners, bidi
controls, the BOM, the word joiner, tags...) and the letters and marks that render as nothing
although Unicode does not class them as space or format (fillers used for blank names and posts).
"""

from __future__ import annotations

import unicodedata

INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})

BLANK_LOOKING = frozenset(
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul choseong and jungseong fillers, Hangul filler, halfwidth
    "\u17b4\u17b5"  # Khmer inherent vowels
    "\u180e"  # Mongolian vowel separator (Cf since Unicode 6.3, a space before)
    "\u2800"  # braille pattern blank
    "\U0001d159"  # musical symbol null notehead
)


def _variation_selector(ch: str) -> bool:
    """Variation selectors only choose how the character before them looks."""
    code = ord(ch)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def is_invisible(ch: str) -> bool:
    return (
        ch in BLANK_LOOKING
        or unicodedata.category(ch) in INVISIBLE_CATEGORIES
        or _variation_selector(ch)
    )


def has_visible_character(text: str) -> bool:
    return any(not is_invisible(ch) for ch in text)
