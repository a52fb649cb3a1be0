"""Every error leaves as {"error": {"code", "message"}} with its status, mapped here only."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from roost.domain.errors import (
    Blocked,
    DomainError,
    Forbidden,
    HandleTaken,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthorized,
)

log = logging.getLogger(__name__)

_STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (InvalidInput, 422),
    (HandleTaken, 409),
    (InvalidCredentials, 401),
    (Unauthorized, 401),
    (Blocked, 403),
    (Forbidden, 403),
    (NotFound, 404),
    (RateLimited, 429),
]

_CODE_BY_STATUS = {
    400: "invalid_json",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
}


class ErrorDetail(msgspec.Struct):
    code: str
    message: str


class ErrorBody(msgspec.Struct):
    error: ErrorDetail


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response[ErrorBody]:
    return Response(ErrorBody(ErrorDetail(code, message)), status_code=status, headers=headers)


def _domain_error(_: Request[Any, Any, Any], error: DomainError) -> Response[ErrorBody]:
    status = next((s for kind, s in _STATUS_BY_ERROR if isinstance(error, kind)), 400)
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_seconds)
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(status, error.code, error.message, headers)


def _validation_error(_: Request[Any, Any, Any], error: ValidationException) -> Response[ErrorBody]:
    problems = "; ".join(
        f"{item.get('key') or 'body'}: {item.get('message')}"
        for item in (error.extra if isinstance(error.extra, list) else [])
        if isinstance(item, dict)
    )
    return error_response(422, "invalid_request", problems or str(error.detail))


def _http_error(_: Request[Any, Any, Any], error: HTTPException) -> Response[ErrorBody]:
    code = _CODE_BY_STATUS.get(error.status_code, "http_error")
    return error_response(error.status_code, code, str(error.detail), error.headers)


def _unexpected(_: Request[Any, Any, Any], error: Exception) -> Response[ErrorBody]:
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "internal_error", "Something went wrong on our side.")


exception_handlers: ExceptionHandlersMap = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
