"""Limits on request heads, over raw sockets against a real `roost serve`
(entrypoints/http_limits.py): refused with roost's JSON error and the connection closed."""

from __future__ import annotations

import json
import select
import socket
import time
from urllib.parse import urlsplit

from .support import Server

MEGABYTE = 1024 * 1024
CHUNK = 64 * 1024


def _connect(server: Server) -> socket.socket:
    address = urlsplit(server.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response: (status, headers, body), read to its Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(status_line.split()[1]), headers, body


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _send_until_answered(sock: socket.socket, head: bytes, chunks: int, chunk: bytes) -> int:
    """Send ``head`` then up to ``chunks`` copies of ``chunk``, stopping as soon as the server
    answers (or stops reading); the number of bytes sent."""
    sock.sendall(head)
    sent = len(head)
    for _ in range(chunks):
        readable, _, _ = select.select([sock], [], [], 0)
        if readable:
            break
        try:
            sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
    return sent


def _assert_refused(sock: socket.socket, status: int, code: str) -> None:
    got, headers, body = _read_response(sock)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert headers["x-content-type-options"] == "nosniff"
    error = json.loads(body)["error"]
    assert error["code"] == code
    assert error["message"]
    assert _closed(sock)


def test_a_64_megabyte_header_is_refused_long_before_it_is_all_sent(api: Server) -> None:
    with _connect(api) as sock:
        started = time.monotonic()
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
        sent = _send_until_answered(sock, head, 64 * MEGABYTE // CHUNK, b"a" * CHUNK)
        _assert_refused(sock, 431, "request_header_fields_too_large")
    assert sent < 4 * MEGABYTE, f"{sent} bytes were sent before the server answered"
    assert time.monotonic() - started < 5


def test_ten_thousand_headers_are_refused(api: Server) -> None:
    headers = b"".join(b"X-H-%d: v\r\n" % n for n in range(10_000))
    with _connect(api) as sock:
        _send_until_answered(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", 1, headers + b"\r\n")
        _assert_refused(sock, 431, "request_header_fields_too_large")


def test_a_9_kib_request_line_is_refused(api: Server) -> None:
    with _connect(api) as sock:
        path = b"/healthz?q=" + b"a" * 9 * 1024
        _send_until_answered(sock, b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path, 0, b"")
        _assert_refused(sock, 414, "uri_too_long")


def test_requests_within_the_limits_keep_their_connection(api: Server) -> None:
    near_limits = b"".join(b"X-H-%d: %s\r\n" % (n, b"v" * 200) for n in range(90))
    long_path = b"/healthz?q=" + b"a" * 7000
    with _connect(api) as sock:
        for path in (b"/healthz", long_path, b"/healthz"):
            sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path, near_limits))
            status, headers, body = _read_response(sock)
            assert status == 200, body
            assert headers.get("connection") != "close"
        body_bytes = json.dumps({"handle": "nobody_here", "password": "x" * 60_000}).encode()
        sock.sendall(
            b"POST /sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body_bytes), body_bytes)
        )
        status, _, body = _read_response(sock)
        assert status in (401, 422), body
