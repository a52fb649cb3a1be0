"""Domain errors. Each carries a stable snake_case code; entry points map them to statuses."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause. ``code`` is part of the public API: never rename."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    code = "invalid_request"


class InvalidHandle(InvalidInput):
    code = "invalid_handle"


class InvalidPassword(InvalidInput):
    code = "invalid_password"


class InvalidDisplayName(InvalidInput):
    code = "invalid_display_name"


class InvalidContent(InvalidInput):
    code = "invalid_content"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"


class CannotFollowSelf(InvalidInput):
    code = "cannot_follow_self"


class CannotBlockSelf(InvalidInput):
    code = "cannot_block_self"


class CannotMuteSelf(InvalidInput):
    code = "cannot_mute_self"


class HandleTaken(DomainError):
    code = "handle_taken"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class Blocked(Forbidden):
    """One of the two users blocked the other."""

    code = "blocked"


class NotFound(DomainError):
    code = "not_found"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
