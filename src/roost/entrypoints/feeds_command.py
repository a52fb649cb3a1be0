"""`roost feeds rebuild --user HANDLE | --all`: rebuild home feeds from SQL now, with progress."""

from __future__ import annotations

from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import build
from roost.settings import Settings

BATCH = 1000


async def rebuild_feeds(settings: Settings, handle: str | None) -> None:
    """One user's feed, or every user's (``handle`` None)."""
    await upgrade_async(settings.database_url)
    roost = build(settings)
    try:
        if handle is not None:
            user = await roost.accounts.by_handle(handle)
            await roost.home_feed.rebuild(user.id)
            print(f"rebuilt the feed of @{user.handle}")
            return
        async with roost.uow(read_only=True) as uow:
            total = await uow.users.count()
        columns = (
            *Progress.get_default_columns()[:-1],
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns) as progress:
            task = progress.add_task("rebuilding feeds", total=total)
            after = 0
            while True:
                async with roost.uow(read_only=True) as uow:
                    batch = await uow.users.ids_after(after, BATCH)
                if not batch:
                    break
                for user_id in batch:
                    await roost.home_feed.rebuild(user_id)
                    progress.advance(task)
                after = batch[-1]
        print(f"rebuilt {total} feeds")
    finally:
        await roost.close()
