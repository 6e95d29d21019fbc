"""The security tables come and go with their migration, leaving the catalogue alone."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from govops.core.db import create_db_engine
from govops.core.migrate import alembic_config, current_revisions, upgrade

SECURITY_TABLES = {"app_user", "recovery_code", "role_policy", "api_key", "audit_entry"}


def downgrade(engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_security_migration_downgrades_to_the_catalogue_and_upgrades_again(empty_database):
    engine = create_db_engine(empty_database)
    upgrade(engine, "0002")
    downgrade(engine, "0001")
    tables = set(inspect(engine).get_table_names())
    assert current_revisions(engine) == {"0001"}
    assert not tables & SECURITY_TABLES and "agency" in tables
    upgrade(engine, "0002")
    assert set(inspect(engine).get_table_names()) >= SECURITY_TABLES
    engine.dispose()
