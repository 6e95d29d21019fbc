"""What every answer carries to protect the browser that reads it, and what none reveals."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import govops
from api_helpers import bearer, open_client
from conftest import Store
from govops.core.settings import Settings
from govops.web.app import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(reference_store: Store) -> Iterator[TestClient]:
    with open_client(reference_store) as client:
        client.auth = None
        yield client


def assert_protected(response: httpx.Response) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path", ["/health", "/api/v1/indicators", "/api/v1/openapi.json", "/api/v1/no-such-page"]
)
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert_protected(response)
    assert "cdn.jsdelivr.net" not in response.headers["Content-Security-Policy"]


def test_the_documentation_page_serves_swagger_ui_itself_under_the_strict_policy(
    client: TestClient,
) -> None:
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert_protected(response)
    assert "https:" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_a_server_error_answers_a_problem_with_no_trace_and_no_versions(tmp_path: Path) -> None:
    # A database that was never migrated: the token lookup fails inside the server.
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unmigrated.sqlite'}"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/indicators", headers=bearer("gov_anything"))
    app.state.engine.dispose()

    assert response.status_code == 500
    assert response.json() == {
        "type": "/problems/internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "the server could not answer; the error was logged",
        "instance": "/api/v1/indicators",
    }
    for secret in ("Traceback", "sqlite", "api_key", govops.__version__):
        assert secret not in response.text
    assert_protected(response)
    assert response.headers["X-Request-Id"]
