"""Invariants of the code base that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from govops.core.settings import Settings
from govops.security.permissions import Permission
from govops.security.web import authenticated_caller
from govops.web.app import create_app
from govops.web.auth import page_caller

SOURCE = Path(__file__).resolve().parents[1] / "src" / "govops"
DOMAINS = ["core", "catalog", "datastore", "security", "demo"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_domain_package_imports_the_web_package():
    offenders = [
        str(path.relative_to(SOURCE))
        for domain in DOMAINS
        for path in (SOURCE / domain).rglob("*.py")
        if any(name.startswith("govops.web") for name in imported_modules(path))
    ]
    assert offenders == []


# The only operations anyone may call without a token or a session: the probes, and the
# pages that sign a person in or out or choose the language.
ANONYMOUS_ROUTES = {"/health", "/ready", "/signin", "/signin/code", "/signout", "/language"}
# The later steps of signing in: each finds its person by the session of the step before
# (govops.web.signin_pages), or by the single sign-on provider's answer.
ANONYMOUS_ROUTES |= {"/signin/enrol", "/signin/password", "/signin/sso", "/signin/sso/return"}

# Calendar programs cannot send a bearer token, so a task calendar is reached by an address
# that holds a long random secret: the secret is the credential (stored only as a hash,
# revocable, and tested in tests/test_tasks_calendar.py). Such a route declares no
# permission; anything else must.
SECRET_ADDRESS_ROUTES = {"/api/v1/task-calendars/{secret}.ics"}


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.sqlite'}"))


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every operation of the route table, inside included routers too."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def declared_permissions(dependant: Any) -> list[str]:
    """The permissions a route's dependencies ask for through ``security.web.require``, or
    a page's through ``web.auth.require_page``."""
    found: list[str] = []
    if dependant.call is authenticated_caller or dependant.call is page_caller:
        found.extend(dependant.own_oauth_scopes or [])
    for child in dependant.dependencies:
        found.extend(declared_permissions(child))
    return found


def test_every_route_but_the_probes_declares_a_permission_it_checks(app: FastAPI):
    routes = list(api_routes(app.routes))
    assert len(routes) >= 10
    anonymous = set()
    for route in routes:
        permissions = declared_permissions(route.dependant)
        if not permissions:
            anonymous.add(route.path)
        for name in permissions:
            assert name in set(Permission), (route.path, name)

    assert anonymous == ANONYMOUS_ROUTES | SECRET_ADDRESS_ROUTES


def test_the_openapi_document_shows_the_bearer_scheme_and_each_operations_permission(
    app: FastAPI,
):
    document = app.openapi()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if path in ANONYMOUS_ROUTES | SECRET_ADDRESS_ROUTES:
                assert "security" not in operation, (method, path)
                continue
            [requirement] = operation["security"]
            assert requirement["bearer"], (method, path)
            assert "401" in operation["responses"] and "403" in operation["responses"]


def test_every_api_route_is_documented_and_declares_its_problem_answers(app: FastAPI):
    operations = [
        (path, method, operation)
        for path, methods in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 10
    for path, method, operation in operations:
        assert operation.get("description") or operation.get("summary"), (method, path)
        assert "400" in operation["responses"], (method, path)


def test_only_the_settings_module_reads_the_environment():
    readers = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8")
        or "getenv(" in path.read_text(encoding="utf-8")
    ]
    assert readers == []


def test_serving_the_api_does_not_load_the_forecasting_libraries():
    # statsforecast, numba and hierarchicalforecast take about 230 MB; a server that only
    # answers reads must stay well under its memory budget of 300 MB.
    heavy = ["statsforecast", "numba", "hierarchicalforecast", "pandas", "dask"]
    probe = (
        "import sys; from govops.web.app import create_app; "
        f"print(','.join(name for name in {heavy!r} if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()

    assert loaded == ""
