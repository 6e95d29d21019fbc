"""The audit log as the API writes it: writes, downloads and refusals, each traceable."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from api_helpers import (
    DATA,
    OBSERVATIONS,
    bearer,
    observation,
    open_client,
    person_token,
    receipt_of,
    write_json,
)
from conftest import Store
from govops.security.audit import verify_chain
from govops.security.models import AuditEntry
from govops.security.permissions import Role

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app_client(reference_store: Store) -> Iterator[TestClient]:
    with open_client(reference_store) as client:
        yield client


@pytest.fixture
def client(store: Store, app_client: TestClient) -> TestClient:
    return app_client


def entries(store: Store) -> list[AuditEntry]:
    with store.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.sequence)))


def entries_after(store: Store, sequence: int) -> list[AuditEntry]:
    return [entry for entry in entries(store) if entry.sequence > sequence]


def head(store: Store) -> int:
    found = entries(store)
    return found[-1].sequence if found else 0


def chain_is_intact(store: Store) -> bool:
    with store.session() as session:
        return verify_chain(session).intact


def test_a_write_adds_one_entry_naming_its_submission_and_counts(
    store: Store, client: TestClient
) -> None:
    write_json(client, observation("CPI", "VN", "2025-M01", "101.5"))
    before = head(store)

    receipt = receipt_of(
        client.post(
            OBSERVATIONS,
            json={"observations": [observation("CPI", "VN", "2025-M02", "101.9")]},
            headers={"X-Request-Id": "req-write-1"},
        )
    )

    [entry] = entries_after(store, before)
    assert (entry.action, entry.object_type) == ("observations.write", "submission")
    assert entry.object_id == str(receipt["submission"])
    assert entry.summary == "1 rows: 1 stored, 0 unchanged, 0 new series"
    assert (entry.actor_name, entry.request_id) == ("api.administrator", "req-write-1")
    assert entry.client_address == "testclient"
    assert chain_is_intact(store)


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_download_adds_one_entry_and_reading_on_screen_adds_none(
    store: Store, client: TestClient, format: str
) -> None:
    write_json(client, observation("CPI", "VN", "2025-M01", "101.5"))
    query = {"indicator": "CPI", "start": "2025-M01", "end": "2025-M01"}
    before = head(store)

    client.get(DATA, params=query)
    downloaded = client.get(DATA, params={**query, "format": format})

    assert downloaded.status_code == 200
    [entry] = entries_after(store, before)
    assert (entry.action, entry.object_id) == ("data.export", "CPI")
    assert entry.summary.startswith(f"{format}: 1 values of 1 series; query indicator=CPI")
    assert entry.request_id == downloaded.headers["X-Request-Id"]
    assert chain_is_intact(store)


def test_a_refused_request_is_recorded_though_it_failed(store: Store, client: TestClient) -> None:
    token = person_token(store, "an.le", role=Role.VIEWER, agency="MOF")
    before = head(store)

    anonymous = client.get("/api/v1/groups", headers={"Authorization": "Bearer gov_unknown"})
    forbidden = client.post(
        OBSERVATIONS,
        json={"observations": [observation("CPI", "VN", "2025-M01", "1")]},
        headers=bearer(token),
    )

    assert (anonymous.status_code, forbidden.status_code) == (401, 403)
    first, second = entries_after(store, before)
    assert (first.action, first.actor_name, first.object_id) == (
        "access.refused",
        "anonymous",
        "GET /api/v1/groups",
    )
    assert first.summary == "401 unknown-token: the token is not one govops issued"
    assert (second.action, second.actor_name, second.object_id) == (
        "access.refused",
        "an.le",
        "POST /api/v1/observations",
    )
    assert second.summary == "403 forbidden: an.le lacks the permission data:write"
    assert second.request_id == forbidden.headers["X-Request-Id"]
    assert chain_is_intact(store)
