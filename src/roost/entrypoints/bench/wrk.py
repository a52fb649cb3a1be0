"""Driving an HTTP endpoint with wrk (a compiled load generator: never the bottleneck here).

Each request takes the next line of a file, round robin: ``token`` or ``token<TAB>body`` (sent
as a Bearer token, and as the body), or with ``use="path"`` a suffix of the path. The Lua
script prints one machine-readable line when wrk is done.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_SCRIPT = r"""
local values = {}
for line in io.lines(os.getenv("ROOST_WRK_VALUES")) do values[#values + 1] = line end
local use = os.getenv("ROOST_WRK_USE")
local path = os.getenv("ROOST_WRK_PATH")
local method = os.getenv("ROOST_WRK_METHOD")
local n = 0
local pause = tonumber(os.getenv("ROOST_WRK_PAUSE_MS") or "0")
if pause > 0 then  -- random around the mean, or the connections would move in step
  delay = function() return math.random(0, 2 * pause) end
end

request = function()
  n = n + 1
  local value = values[n % #values + 1]
  local headers = {["Content-Type"] = "application/json"}
  if use == "path" then return wrk.format(method, path .. value, headers) end
  local token, body = value:match("^([^\t]*)\t(.*)$")
  if token == nil then token = value end
  headers["Authorization"] = "Bearer " .. token
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ROOST_WRK %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int  # non-2xx/3xx responses and socket errors


@dataclass(frozen=True, slots=True)
class Load:
    method: str
    path: str
    values: Path
    use: str = "token"  # or "path"


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("roost bench http needs wrk: apt-get install -y wrk (or make bench)")
    return found


def run_wrk(
    base_url: str,
    load: Load,
    *,
    connections: int,
    seconds: float,
    cpu: int,
    workdir: Path,
    pace: float | None = None,
) -> WrkResult:
    """wrk pinned to ``cpu``, one thread, for ``seconds``. With ``pace`` (requests/s), each
    connection waits ``connections / pace`` on average between a response and its next
    request, so the rate stays under ``pace`` by the time the responses take."""
    script = workdir / "roost.lua"
    script.write_text(_SCRIPT)
    env = {
        **os.environ,
        "ROOST_WRK_VALUES": str(load.values),
        "ROOST_WRK_USE": load.use,
        "ROOST_WRK_PATH": load.path,
        "ROOST_WRK_METHOD": load.method,
        "ROOST_WRK_PAUSE_MS": str(round(connections * 1000 / pace)) if pace else "0",
    }
    command = [
        "taskset", "-c", str(cpu), require_wrk(), "-t1", f"-c{connections}",
        f"-d{max(1, round(seconds))}s", "--timeout", "5s", "-s", str(script), base_url,
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 (fixed command, local target)
        command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("ROOST_WRK "))
    requests, duration_us, p50_us, p99_us, status_errors, socket_errors = map(int, line.split()[1:])
    return WrkResult(
        requests_per_second=requests / (duration_us / 1e6),
        p50_ms=p50_us / 1000,
        p99_ms=p99_us / 1000,
        requests=requests,
        failed=status_errors + socket_errors,
    )
