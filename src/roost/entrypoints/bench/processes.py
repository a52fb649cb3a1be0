"""The processes `roost bench http` measures, each pinned to a CPU core, stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

STARTUP_SECONDS = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def pinned(
    args: list[str], *, cpu: int, env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m <args>`` on core ``cpu``, configured by ``env`` alone (no ROOST_* variable of
    ours leaks in); SIGTERM (then SIGKILL) on exit. See wait_ready."""
    command = ["taskset", "-c", str(cpu), sys.executable, "-m", *args]
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("ROOST_")}
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 (fixed command)
            command, env={**inherited, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        _stop(process)


def get(url: str, timeout: float = 5.0, token: str | None = None) -> bytes:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (local)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        body: bytes = response.read()
        return body


def wait_ready(process: subprocess.Popen[bytes], url: str) -> None:
    """Until ``url`` answers 200; SystemExit if the process dies or takes too long."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited; see its log")
        with contextlib.suppress(OSError):
            get(url, timeout=1.0)
            return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {STARTUP_SECONDS:.0f} s; see its log")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
