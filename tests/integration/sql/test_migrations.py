"""The migrations create exactly the schema that tables.py describes, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from roost.adapters.sql.engine import create_engines
from roost.adapters.sql.migrate import upgrade_async
from roost.adapters.sql.tables import metadata


async def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    await upgrade_async(database_url)
    await upgrade_async(database_url)  # a second run changes nothing and does not fail
    engines = create_engines(database_url)

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    try:
        async with engines.reader.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engines.dispose()
    assert diff == []
