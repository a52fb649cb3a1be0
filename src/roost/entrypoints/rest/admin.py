"""The admin dashboard: a static page and its script (no build step, no CDN). The page asks
for an admin's handle and password and draws /analytics/overview and /analytics/forecast."""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
# Everything the page loads comes from this server.
_HEADERS = {"Content-Security-Policy": "default-src 'self'"}


@get("/admin", include_in_schema=False)
async def dashboard() -> Response[bytes]:
    return Response((STATIC / "admin.html").read_bytes(), media_type="text/html", headers=_HEADERS)


dashboard_files = create_static_files_router(
    path="/admin/static", directories=[STATIC], include_in_schema=False
)
