"""Who may call the API: a bearer token is required, and each operation's permission."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api_helpers import (
    DATA,
    OBSERVATIONS,
    assert_problem,
    bearer,
    observation,
    open_client,
    person_token,
)
from conftest import Store
from govops.core.db import now_utc, transaction
from govops.security import audit
from govops.security.keys import revoke_key, token_hash
from govops.security.models import ApiKey
from govops.security.permissions import Clearance, Permission, Role

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

P = Permission
INDICATORS = "/api/v1/indicators"
HANOI_RETAIL = observation("RETAIL_SALES", "01", "2025-M01", 120_000)


@pytest.fixture(scope="module")
def app_client(reference_store: Store) -> Iterator[TestClient]:
    with open_client(reference_store) as client:
        client.auth = None
        yield client


@pytest.fixture
def client(store: Store, app_client: TestClient) -> TestClient:
    """A client that sends no token unless a test gives one."""
    return app_client


def stored_key(session: Session, token: str) -> ApiKey:
    return session.scalars(select(ApiKey).where(ApiKey.secret_hash == token_hash(token))).one()


def analyst_token(store: Store, **options: object) -> str:
    return person_token(store, "thu.pham", role=Role.ANALYST, **options)  # type: ignore[arg-type]


def test_the_probes_answer_without_a_token(client: TestClient) -> None:
    assert client.get("/health").status_code == 200


def test_a_request_without_a_token_is_refused_and_told_to_send_a_bearer_token(
    client: TestClient,
) -> None:
    response = client.get(INDICATORS)

    problem = assert_problem(response, 401, "not-authenticated")
    assert "Authorization: Bearer <token>" in problem["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "gov_abc"])
def test_an_authorization_header_that_is_not_a_bearer_token_is_refused(
    client: TestClient, header: str
) -> None:
    response = client.get(INDICATORS, headers={"Authorization": header})

    problem = assert_problem(response, 401, "malformed-token")
    assert problem["detail"] == (
        "the Authorization header must be 'Bearer <token>', with one space between"
    )
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_govops_never_issued_is_refused(client: TestClient) -> None:
    response = client.get(INDICATORS, headers=bearer("gov_" + "x" * 43))

    problem = assert_problem(response, 401, "unknown-token")
    assert problem["detail"] == "the token is not one govops issued"


def test_an_expired_token_is_refused_naming_the_day_it_expired(
    store: Store, client: TestClient
) -> None:
    token = analyst_token(store)
    expired = now_utc() - timedelta(days=3)
    with transaction(store.sessions) as session:
        stored_key(session, token).expires_at = expired

    response = client.get(INDICATORS, headers=bearer(token))

    problem = assert_problem(response, 401, "expired-token")
    assert problem["detail"].endswith(f"expired on {expired:%Y-%m-%d}")


def test_a_revoked_token_is_refused_from_the_moment_it_is_revoked(
    store: Store, client: TestClient
) -> None:
    token = analyst_token(store)
    assert client.get(INDICATORS, headers=bearer(token)).status_code == 200

    with transaction(store.sessions) as session:
        revoke_key(session, stored_key(session, token), by=audit.COMMAND_LINE)
    response = client.get(INDICATORS, headers=bearer(token))

    problem = assert_problem(response, 401, "revoked-token")
    assert "was revoked on" in problem["detail"]


def test_a_viewer_writing_observations_is_refused_naming_the_permission(
    store: Store, client: TestClient
) -> None:
    token = person_token(store, "an.le", role=Role.VIEWER, agency="MOF")

    response = client.post(
        OBSERVATIONS, json={"observations": [HANOI_RETAIL]}, headers=bearer(token)
    )

    problem = assert_problem(response, 403, "forbidden")
    assert problem["detail"] == "an.le lacks the permission data:write"
    assert problem["permission"] == "data:write"


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_token_without_the_export_scope_reads_data_but_cannot_download_it(
    store: Store, client: TestClient, format: str
) -> None:
    token = analyst_token(store, scopes=frozenset({P.CATALOG_READ, P.DATA_READ}))
    query = {"indicator": "CPI", "start": "2025-M01", "end": "2025-M03"}

    assert client.get(DATA, params=query, headers=bearer(token)).status_code == 200
    response = client.get(DATA, params={**query, "format": format}, headers=bearer(token))

    problem = assert_problem(response, 403, "forbidden")
    assert problem["permission"] == "data:export"


def test_a_key_with_the_export_scope_downloads_csv(store: Store, client: TestClient) -> None:
    token = analyst_token(store, clearance=Clearance.INTERNAL)
    query = {"indicator": "CPI", "start": "2025-M01", "end": "2025-M03", "format": "csv"}

    response = client.get(DATA, params=query, headers=bearer(token))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
