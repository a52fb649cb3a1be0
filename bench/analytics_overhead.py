"""GET /feed?limit=50 throughput with and without analytics, in one session.

    mkdir -p /tmp/roost-base
    git archive "$(git merge-base main analytics)" src | tar -x -C /tmp/roost-base
    .venv/bin/python bench/analytics_overhead.py /tmp/roost-base/src [rounds]

Each server runs scaled mode on a PostgreSQL database and a Redis prefix of its own (dropped
afterwards), pinned to core 0 with taskset; wrk runs on core 1 against 127.0.0.1, 64
connections, 4 s a run, the two servers alternating for ``rounds`` rounds (default 9). A
reader follows an author of 60 posts; every request reads a full page of 50.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from statistics import median

import httpx
import psycopg
import redis

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/0"
HERE = Path(__file__).resolve().parents[1] / "src"


def start(name: str, source: str, port: int) -> tuple[subprocess.Popen[bytes], str, str, str]:
    database = f"roost_overhead_{name}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    env |= {
        "PYTHONPATH": source,
        "ROOST_DATABASE_URL": f"{POSTGRES}/{database}",
        "ROOST_REDIS_URL": REDIS,
        "ROOST_REDIS_PREFIX": f"{database}:",
        "ROOST_PASSWORD_HASH_TIME_COST": "1",
        "ROOST_PASSWORD_HASH_MEMORY_KIB": "1024",
    }
    command = ["taskset", "-c", "0", sys.executable, "-m", "roost", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url)
    for _ in range(150):
        try:
            if client.get("/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    tokens = {}
    for handle in ("reader", "author"):
        client.post("/users", json={"handle": handle, "password": "correct horse"})
        login = {"handle": handle, "password": "correct horse"}
        tokens[handle] = {
            "Authorization": f"Bearer {client.post('/sessions', json=login).json()['token']}"
        }
    client.post("/users/author/follow", headers=tokens["reader"])
    for n in range(60):
        client.post("/tweet", json={"content": f"post {n}"}, headers=tokens["author"])
    time.sleep(2)
    page = client.get("/feed?limit=50", headers=tokens["reader"]).json()
    assert len(page["items"]) == 50, page
    return server, database, url, tokens["reader"]["Authorization"]


def wrk(url: str, authorization: str) -> float:
    command = [
        "taskset",
        "-c",
        "1",
        "wrk",
        "-t1",
        "-c64",
        "-d4s",
        "-H",
        f"Authorization: {authorization}",
    ]
    out = subprocess.run([*command, f"{url}/feed?limit=50"], capture_output=True, text=True).stdout
    assert "Non-2xx" not in out, out
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert found, out
    return float(found[1])


def main() -> None:
    base, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 9
    servers = {"without": start("without", base, 18101), "with": start("with", str(HERE), 18102)}
    try:
        rates: dict[str, list[float]] = {"without": [], "with": []}
        for _, _, url, authorization in servers.values():
            wrk(url, authorization)  # warm up
        for n in range(rounds):
            for name in ("without", "with") if n % 2 == 0 else ("with", "without"):
                rates[name].append(wrk(servers[name][2], servers[name][3]))
                print(n + 1, name, rates[name][-1], flush=True)
        for name, found in rates.items():
            print(f"{name} analytics: median {median(found):,.0f} req/s of {sorted(found)}")
        print(f"with / without (medians): {median(rates['with']) / median(rates['without']):.3f}")
    finally:
        for server, database, _, _ in servers.values():
            server.terminate()
            server.wait(10)
            with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            client = redis.Redis.from_url(REDIS)
            keys = list(client.scan_iter(match=f"{database}:*"))
            if keys:
                client.delete(*keys)


if __name__ == "__main__":
    main()
