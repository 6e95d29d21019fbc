"""Every schema change is a migration; upgrading an empty database gives the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from govops.core.db import create_db_engine
from govops.core.migrate import current_revisions, head_revisions, upgrade
from govops.core.models import metadata


def test_an_empty_database_upgrades_to_the_head_with_every_table(empty_database):
    engine = create_db_engine(empty_database)
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_migrated_schema_matches_the_models(empty_database):
    engine = create_db_engine(empty_database)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_twice_changes_nothing(empty_database):
    engine = create_db_engine(empty_database)
    upgrade(engine)
    upgrade(engine)
    assert current_revisions(engine) == head_revisions()
    engine.dispose()
