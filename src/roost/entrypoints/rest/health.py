from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi import ResponseSpec
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from roost.bootstrap import Roost
from roost.entrypoints.rest.schemas import Health


@get(
    "/healthz",
    tags=["operations"],
    summary="Health of the process and what it depends on",
    responses={503: ResponseSpec(data_container=Health, description="The database is down")},
)
async def healthz(roost: Roost) -> Response[Health]:
    """200 "ok"; 200 "degraded" when Redis is down (feeds are served from SQL, slower); 503 when
    the database is down."""
    checks = await roost.health()
    if checks["database"] != "ok":
        return Response(Health("down", checks), status_code=503)
    if any(state != "ok" for state in checks.values()):
        return Response(Health("degraded", checks))
    return Response(Health("ok"))


@get("/openapi.json", include_in_schema=False)
async def openapi_document(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI document at the conventional path (the interactive docs are at /docs)."""
    return request.app.openapi_schema.to_schema()


@get(
    "/metrics",
    tags=["operations"],
    summary="Prometheus metrics of this process",
    media_type=CONTENT_TYPE_LATEST,
)
async def metrics(roost: Roost) -> Response[bytes]:
    return Response(generate_latest(roost.metrics), media_type=CONTENT_TYPE_LATEST)
