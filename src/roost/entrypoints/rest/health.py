from __future__ import annotations

from typing import Any

from litestar import Request, get

from roost.entrypoints.rest.schemas import Health


@get("/healthz", tags=["operations"], summary="Liveness")
async def healthz() -> Health:
    return Health("ok")


@get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI document at the conventional path (the interactive docs are at /docs)."""
    return request.app.openapi_schema.to_schema()
