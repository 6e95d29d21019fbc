"""Shared fixtures: a store on SQLite and on PostgreSQL, with the reference catalogue.

Every test that takes ``store`` runs once per database. The PostgreSQL runs need
``GOVOPS_TEST_POSTGRES_URL`` (CI sets it); without it they are skipped, with the reason
shown in the summary.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import hypothesis
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from govops.catalog.reference import load_reference
from govops.core.db import create_db_engine, session_factory, transaction
from govops.core.migrate import upgrade
from govops.core.models import metadata
from govops.core.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Property tests are judged by what they find, not by how fast one example runs: on a
# shared two-core machine a slow example is the machine, not the code.
hypothesis.settings.register_profile("govops", deadline=None)
hypothesis.settings.load_profile("govops")

POSTGRES_URL = os.environ.get("GOVOPS_TEST_POSTGRES_URL")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BACKENDS = ["sqlite", "postgres"]
# The catalogue and areas stay between tests; every other table is emptied after each
# test, children before parents, so new domains' tables need no listing here.
KEPT_TABLES = frozenset(
    {
        "unit",
        "agency",
        "indicator_group_member",
        "indicator_group",
        "dimension",
        "dimension_value",
        "indicator_dimension",
        "indicator",
        "area",
        "area_lineage",
    }
)
DATA_TABLES = [
    table.name for table in reversed(metadata.sorted_tables) if table.name not in KEPT_TABLES
]


@dataclass
class Store:
    """A migrated database with the reference catalogue, and a way to open sessions."""

    backend: str
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def settings(self, **overrides: object) -> Settings:
        return Settings(database_url=self.url, **overrides)  # type: ignore[arg-type]

    def session(self) -> Session:
        return self.sessions()


def _new_database(backend: str, folder: Path) -> tuple[str, object]:
    """A URL to an empty database, and what to call to drop it afterwards."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.sqlite'}", lambda: None
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need GOVOPS_TEST_POSTGRES_URL (CI sets it)")
    name = f"govops_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def make_store(backend: str, folder: Path, *, reference: bool = True) -> tuple[Store, object]:
    url, drop = _new_database(backend, folder)
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    if reference:
        with transaction(sessions) as session:
            load_reference(session, include_communes=False)
    return Store(backend, url, engine, sessions), drop


@pytest.fixture(scope="session", params=BACKENDS)
def reference_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    store, drop = make_store(request.param, tmp_path_factory.mktemp(request.param))
    yield store
    store.engine.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture
def store(reference_store: Store) -> Iterator[Store]:
    """The reference catalogue and areas, with no observations (emptied after each test)."""
    yield reference_store
    with reference_store.engine.begin() as connection:
        for table in DATA_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
        # Observations are never deleted in use; this cleanup does it behind the writers'
        # backs, so it must also tell cached answers that the data changed.
        connection.execute(text("UPDATE indicator SET data_version = data_version + 1"))


@pytest.fixture(params=BACKENDS)
def fresh_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store of its own, for tests that change the catalogue or the areas."""
    store, drop = make_store(request.param, tmp_path)
    yield store
    store.engine.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database with no schema at all."""
    url, drop = _new_database(request.param, tmp_path)
    yield url
    drop()  # type: ignore[operator]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, one per test process.

    Playwright's synchronous driver keeps an event loop for as long as it runs, and a
    second driver in the same process refuses to start beside it; every browser test
    therefore shares this one.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
