"""CPU per embedded GET /feed?limit=50, in process, for two source trees in one session.

    mkdir -p /tmp/roost-base
    git archive "$(git merge-base main HEAD)" src | tar -x -C /tmp/roost-base
    .venv/bin/python bench/embedded_feed_cpu.py /tmp/roost-base/src [rounds]

`roost demo` loads a graph (5,000 users, the top 5 celebrities pulled, as `roost bench http`)
into one SQLite file; then, for ``rounds`` rounds (default 5), a process of each tree in turn
builds roost on it (embedded mode), warms 200 readers' feeds and caches, and takes the CPU time
(`time.process_time`, every thread of the process) of 400 sequential pages of 50: the fast
path's work (authenticate a cached session, the HomeFeed page, the spliced body; the analytics
flush runs each second, as in a server), and the bare floor's (the feed store's page call).
Medians of the rounds are printed. CPU time, not throughput: on a machine shared with other
work, rates move by a factor of two between runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parents[1] / "src"
USERS, SEED, READERS, PAGES, LIMIT = 5_000, 1, 200, 400, 50

CHILD = """
import asyncio, json, secrets, sys, time
from datetime import UTC, datetime, timedelta

from roost.bootstrap import build
from roost.domain.ids import MAX_ID
from roost.entrypoints.bench.workload import pick_users
from roost.entrypoints.demo import graph, load
from roost.entrypoints.rest.splice import page_body
from roost.services.accounts import token_digest
from roost.settings import Settings

USERS, SEED, READERS, PAGES, LIMIT = {constants}


async def main(database: str, only_load: bool) -> None:
    social = graph.generate(USERS, SEED)
    threshold = social.followers_of_rank(max(1, round(USERS * 0.001)))
    readers, _ = pick_users(social, threshold, READERS, 1, SEED)
    settings = Settings(
        database_url=f"sqlite:///{{database}}",
        celebrity_threshold=threshold,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        session_cache_seconds=3600,
    )
    if only_load:
        await load.load(settings, social)
        return
    roost = build(settings)
    roost.start()  # the analytics flush, as in a server
    now = datetime.now(UTC)
    tokens = {{user: secrets.token_urlsafe(32) for user in readers}}
    async with roost.uow() as uow:
        for user, token in tokens.items():
            await uow.tokens.add(token_digest(token), user, now, now + timedelta(hours=1))
        await uow.commit()

    async def page(n: int) -> None:
        caller = await roost.accounts.authenticate(tokens[readers[n % len(readers)]])
        page_body(await roost.home_feed.page(caller, None, LIMIT))

    async def bare(n: int) -> None:
        await roost.feeds.page(readers[n % len(readers)], MAX_ID, LIMIT)

    for n in range(2 * len(readers)):  # feeds built, sessions, tweets and engagement cached
        await page(n)
    spent = {{}}
    for name, call in (("page", page), ("bare", bare)):
        started = time.process_time()
        for n in range(PAGES):
            await call(n)
        spent[name] = (time.process_time() - started) / PAGES * 1e6
    await roost.close()
    print(json.dumps(spent))


asyncio.run(main(sys.argv[1], sys.argv[2:] == ["load"]))
"""


def run(source: Path, database: Path, *extra: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    env["PYTHONPATH"] = str(source)
    code = CHILD.format(constants=(USERS, SEED, READERS, PAGES, LIMIT))
    done = subprocess.run(
        [sys.executable, "-c", code, str(database), *extra],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return {} if extra else dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    base = Path(sys.argv[1]).resolve()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    trees = {"base": base, "this": HERE}
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "demo.db"
        run(HERE, database, "load")
        found: dict[str, dict[str, list[float]]] = {
            name: {"page": [], "bare": []} for name in trees
        }
        for n in range(rounds):
            for name, source in trees.items():
                spent = run(source, database)
                for kind, value in spent.items():
                    found[name][kind].append(value)
                page, bare = spent["page"], spent["bare"]
                print(f"round {n + 1} {name}: {page:.0f} us page, {bare:.0f} us bare", flush=True)
    for name, kinds in found.items():
        page, bare = median(kinds["page"]), median(kinds["bare"])
        print(
            f"{name}: {page:.0f} us CPU per page, bare {bare:.0f} us ({bare / page:.2f} of a page)"
        )
    ratio = median(found["this"]["page"]) / median(found["base"]["page"])
    print(f"this / base, per page: {ratio:.2f}")


if __name__ == "__main__":
    main()
