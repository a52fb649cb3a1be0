"""Limits on a request's head (request line and headers), enforced by the HTTP parser itself.

uvicorn's httptools protocol buffers whatever a client sends as a header, however long and
however many: a 64 MB header or 10,000 headers were accepted. This protocol counts the bytes
as the parser reads them and answers 414 (request line) or 431 (headers) with roost's JSON
error body, then closes the connection. A head never grows past its budget by more than one
read of the socket: a huge header is refused before it is buffered whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from roost.settings import Settings

# ": " and CRLF around each header, the CRLF that ends the head.
_HEADER_FRAMING = 4


@dataclass(frozen=True, slots=True)
class HeadLimits:
    request_line_bytes: int
    header_count: int
    header_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> HeadLimits:
        return cls(
            settings.max_request_line_bytes, settings.max_header_count, settings.max_header_bytes
        )

    @property
    def head_bytes(self) -> int:
        """The most a whole head may take, request line and headers together."""
        return self.request_line_bytes + self.header_bytes + _HEADER_FRAMING


class HeadRefused(Exception):
    """A request head over a limit: the answer, and the end of the connection."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _uri_too_long(limits: HeadLimits) -> HeadRefused:
    return HeadRefused(
        414, "uri_too_long", f"The request line is longer than {limits.request_line_bytes} bytes."
    )


def _headers_too_large(what: str) -> HeadRefused:
    return HeadRefused(431, "request_header_fields_too_large", what)


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with :class:`HeadLimits`. Use :func:`limited_protocol`."""

    limits: ClassVar[HeadLimits]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bytes received of the head being read; None while a body is read.
        self._head_bytes: int | None = 0
        self._header_count = 0
        self._header_bytes = 0
        self._refusal: HeadRefused | None = None

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_bytes is not None and self._head_bytes > self.limits.head_bytes:
            self._refuse(
                _headers_too_large(f"The request head is over {self.limits.head_bytes} bytes.")
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        if len(self.url) + len(url) > self.limits.request_line_bytes:
            raise self._refused(_uri_too_long(self.limits))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        limits = self.limits
        self._header_count += 1
        self._header_bytes += len(name) + len(value) + _HEADER_FRAMING
        if self._header_count > limits.header_count:
            raise self._refused(_headers_too_large(f"More than {limits.header_count} headers."))
        if len(name) + len(value) > limits.request_line_bytes:
            raise self._refused(
                _headers_too_large(f"A header is longer than {limits.request_line_bytes} bytes.")
            )
        if self._header_bytes > limits.header_bytes:
            raise self._refused(
                _headers_too_large(f"The headers are over {limits.header_bytes} bytes.")
            )
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_bytes = 0

    def send_400_response(self, msg: str) -> None:
        """uvicorn answers 400 to every parser error, and a limit passed in a parser callback
        is one: answer that limit's refusal instead."""
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._refuse(self._refusal)

    def _refused(self, refusal: HeadRefused) -> HeadRefused:
        self._refusal = refusal
        return refusal

    def _refuse(self, refusal: HeadRefused) -> None:
        if self.transport.is_closing():
            return
        body = b'{"error":{"code":"%s","message":"%s"}}' % (
            refusal.code.encode(),
            refusal.message.encode(),
        )
        head = [STATUS_LINE[refusal.status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"x-content-type-options: nosniff\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def limited_protocol(limits: HeadLimits) -> type[LimitedHttpToolsProtocol]:
    """The protocol class to give uvicorn (it builds one per connection, with no arguments of
    ours), bound to ``limits``."""
    return type("RoostHttpProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})
