"""Tweet lists are assembled from cached JSON bytes, never decoded and re-encoded.

The hot read path: measured at 28-35% of a feed read when re-encoding (DESIGN.md section 9).
"""

from __future__ import annotations

import msgspec
from litestar import Response

from roost.services.pages import Page

JSON = "application/json"


def page_body(page: Page[bytes]) -> bytes:
    """{"items": [...], "next_cursor"} from items already serialised."""
    cursor = b"null" if page.next_cursor is None else msgspec.json.encode(page.next_cursor)
    items = b",".join(page.items)
    # joined, not added: each + copied the whole page again (3.2 -> 1.9 us a page of 50)
    return b"".join((b'{"items":[', items, b'],"next_cursor":', cursor, b"}"))


def page_response(page: Page[bytes]) -> Response[bytes]:
    return Response(page_body(page), media_type=JSON)


def tweet_response(rendered: bytes, status_code: int = 200) -> Response[bytes]:
    return Response(rendered, media_type=JSON, status_code=status_code)
