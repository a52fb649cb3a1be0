"""`roost admin grant|revoke HANDLE`: who sees the service's analytics and the dashboard."""

from __future__ import annotations

from roost.adapters.sql.migrate import upgrade_async
from roost.bootstrap import build
from roost.domain.errors import NotFound
from roost.settings import Settings


async def set_admin(settings: Settings, handle: str, admin: bool) -> None:
    await upgrade_async(settings.database_url)
    roost = build(settings)
    try:
        await roost.analytics.set_admin(handle, admin)
    except NotFound as error:
        raise SystemExit(error.message) from None
    finally:
        await roost.close()
    print(f"@{handle} is {'now' if admin else 'no longer'} an admin")
