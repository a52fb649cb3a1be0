"""The `roost` command: serve, worker, migrate, feeds, demo, admin, capacity, bench."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from textwrap import shorten

from roost.entrypoints.logs import configure as configure_logging
from roost.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="roost", description="roost: a news-feed system")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--no-consumers",
        action="store_true",
        help="do not run the event consumers in this process (run `roost worker` instead)",
    )
    worker = commands.add_parser("worker", help="run the event consumers (fanout) until stopped")
    worker.add_argument(
        "--dead-letters",
        action="store_true",
        help="list the events set aside after failing too often, then exit",
    )
    worker.add_argument(
        "--metrics-port", type=int, help="serve this worker's Prometheus metrics on this port"
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("graphql-schema", help="print the GraphQL schema (SDL)")
    feeds = commands.add_parser("feeds", help="maintain home feeds")
    feeds.add_argument("action", choices=["rebuild"], help="rebuild feeds from SQL")
    who = feeds.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="HANDLE", help="one user's feed")
    who.add_argument("--all", action="store_true", help="every user's feed")
    demo = commands.add_parser("demo", help="load a synthetic social graph into an empty database")
    demo.add_argument("--users", type=int, default=10_000, help="how many users")
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same graph")
    admin = commands.add_parser("admin", help="grant or revoke admin rights (analytics)")
    admin.add_argument("action", choices=["grant", "revoke"])
    admin.add_argument("handle", metavar="HANDLE")
    capacity = commands.add_parser(
        "capacity", help="cores, memory and storage that N daily active users need"
    )
    capacity.add_argument("--dau", type=int, required=True, help="daily active users")
    bench = commands.add_parser("bench", help="measure roost against its floors; prints a table")
    bench.add_argument(
        "target",
        choices=["fanout", "fanout-strategies", "graphql", "http", "notifications"],
        help="what to measure",
    )
    bench.add_argument(
        "--users", type=int, help="fanout-strategies, http: graph size (10,000; 5,000)"
    )
    bench.add_argument("--seed", type=int, default=1, help="http: the demo graph's seed")
    bench.add_argument("--seconds", type=float, default=5.0, help="http: each measurement")
    bench.add_argument("--warmup", type=float, default=1.0, help="http: unrecorded, before each")
    bench.add_argument(
        "--modes", default="embedded,scaled", help="http: embedded, scaled or both (a,b)"
    )
    bench.add_argument(
        "--docs",
        default="docs/benchmarks.md",
        help="http: the file a dated row is appended to ('' for none)",
    )
    bench.add_argument("--posts", type=int, default=300, help="fanout-strategies: posts made")
    bench.add_argument(
        "--out", default="bench-results", help="fanout-strategies, http: where JSON and PNG go"
    )
    bench.add_argument(
        "--repeat", type=int, default=3, help="runs per figure (the median is shown)"
    )
    bench.add_argument("--likes", type=int, default=1000, help="notifications: likes in the burst")

    args = parser.parse_args(argv)
    configure_logging()
    settings = Settings()
    if args.command == "serve":
        _serve(settings, args.host, args.port, run_consumers=not args.no_consumers)
    elif args.command == "worker" and args.dead_letters:
        asyncio.run(_print_dead_letters(settings))
    elif args.command == "worker":
        import uvloop  # the loop `roost serve` runs on too (server.py): 5-10% less CPU a post

        uvloop.run(_work(settings, args.metrics_port))
    elif args.command == "feeds":
        from roost.entrypoints.feeds_command import rebuild_feeds

        asyncio.run(rebuild_feeds(settings, args.user))
    elif args.command == "demo":
        from roost.entrypoints.demo import graph, load

        social = graph.generate(args.users, args.seed)
        asyncio.run(load.load(settings, social))
        print(load.summary(social, settings.celebrity_threshold))
    elif args.command == "admin":
        from roost.entrypoints.admin_command import set_admin

        asyncio.run(set_admin(settings, args.handle, args.action == "grant"))
    elif args.command == "capacity":
        from roost.entrypoints.capacity_command import print_plan

        print_plan(args.dau)
    elif args.command == "bench":
        _bench(settings, args)
    elif args.command == "graphql-schema":
        from roost.entrypoints.graphql.schema import build_schema

        print(build_schema(introspection=True).as_str())
    elif args.command == "migrate":
        from roost.adapters.sql.migrate import upgrade

        upgrade(settings.database_url)
        print(f"database is up to date: {_redacted(settings.database_url)}")


def _serve(settings: Settings, host: str, port: int, *, run_consumers: bool) -> None:
    from roost.entrypoints.http_limits import HeadLimits
    from roost.entrypoints.rest.app import create_app
    from roost.entrypoints.server import run_server

    app = create_app(settings, run_consumers=run_consumers)
    run_server(app, host, port, HeadLimits.from_settings(settings))


def _bench(settings: Settings, args: argparse.Namespace) -> None:
    if args.target == "fanout":
        from roost.entrypoints.bench import fanout

        rows = asyncio.run(fanout.bench_fanout(settings, repeat=args.repeat))
        print()
        print(fanout.format_table(rows))
    elif args.target == "graphql":
        from roost.entrypoints.bench import graphql

        print(graphql.format_table(asyncio.run(graphql.bench_graphql(settings))))
    elif args.target == "notifications":
        from roost.entrypoints.bench import notifications

        delivery = asyncio.run(notifications.bench_notifications(settings, args.likes))
        print(notifications.format_table(delivery))
    elif args.target == "http":
        from pathlib import Path

        from roost.entrypoints.bench import http

        options = http.Options(
            users=args.users or http.Options.users,
            seed=args.seed,
            seconds=args.seconds,
            warmup=args.warmup,
            modes=tuple(args.modes.split(",")),
        )
        http.run(settings, options, Path(args.out), Path(args.docs) if args.docs else None)
    else:
        from pathlib import Path

        from roost.entrypoints.bench import strategies

        workload = strategies.Workload(users=args.users or 10_000, posts=args.posts)
        results = asyncio.run(strategies.bench_strategies(settings, workload, Path(args.out)))
        print()
        print(strategies.format_table(results))


async def _work(settings: Settings, metrics_port: int | None) -> None:
    from roost.adapters.sql.migrate import upgrade_async
    from roost.bootstrap import build
    from roost.entrypoints.workers.runner import Consumers

    await upgrade_async(settings.database_url)
    roost = build(settings)
    roost.start()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, registry=roost.metrics)
    consumers = Consumers(roost)
    task = asyncio.create_task(consumers.run_until_cancelled())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    print("roost worker: consuming events (Ctrl-C to stop)", file=sys.stderr)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await roost.close()


async def _print_dead_letters(settings: Settings, limit: int = 100) -> None:
    from roost.bootstrap import build

    roost = build(settings)
    try:
        sources = list({id(spec.source): spec.source for spec in roost.consumers}.values())
        letters = [letter for source in sources for letter in await source.dead_letters(limit)]
    finally:
        await roost.close()
    if not letters:
        print("no dead letters")
    for letter in letters:
        event = letter.event
        # a usage batch's payload holds thousands of ids
        payload = shorten(str(event.payload), 200, placeholder=" ...}")
        print(f"{letter.consumer}\tevent {event.id}\t{event.type}\t{payload}\t{letter.error}")


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
