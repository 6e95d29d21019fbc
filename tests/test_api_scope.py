"""Classification and agency scope: what a caller sees and writes through the API."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from api_helpers import (
    DATA,
    OBSERVATIONS,
    assert_problem,
    bearer,
    observation,
    open_client,
    person_token,
    row_errors,
)
from conftest import Store
from govops.security.permissions import Clearance, Role

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DRAFT = "BUDGET_REVENUE_DRAFT_ESTIMATE"  # restricted, owned by the Ministry of Finance
INDICATORS = "/api/v1/indicators"


@pytest.fixture(scope="module")
def app_client(reference_store: Store) -> Iterator[TestClient]:
    with open_client(reference_store) as client:
        yield client


@pytest.fixture
def client(store: Store, app_client: TestClient) -> TestClient:
    """The administrator's client (cleared for restricted data) on an emptied store."""
    return app_client


def officer(store: Store, agency: str, *, clearance: Clearance = Clearance.INTERNAL) -> str:
    username = f"officer.{agency.lower()}"
    return person_token(
        store, username, role=Role.AGENCY_OFFICER, agency=agency, clearance=clearance
    )


def unknown_indicator_detail(client: TestClient, code: str) -> str:
    """What the API says about an indicator code it has never heard of."""
    problem = assert_problem(client.get(f"{INDICATORS}/NO_SUCH_CODE"), 404, "not-found")
    detail: str = problem["detail"]
    return detail.replace("NO_SUCH_CODE", code)


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


def missing_codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["code"] for group in response.json()["groups"] for item in group["missing"]}


def write(client: TestClient, token: str, *rows: dict[str, Any]) -> Any:
    return client.post(OBSERVATIONS, json={"observations": list(rows)}, headers=bearer(token))


def test_the_administrator_sees_the_restricted_draft_and_its_data(client: TestClient) -> None:
    client.post(OBSERVATIONS, json={"observations": [observation(DRAFT, "VN", "2026", 2e6)]})

    assert client.get(f"{INDICATORS}/{DRAFT}").status_code == 200
    assert client.get(DATA, params={"indicator": DRAFT}).json()["series"][0]["points"]


def test_a_restricted_indicator_is_left_out_of_search_and_groups_for_another_agency(
    store: Store, client: TestClient
) -> None:
    token = officer(store, "MOH")

    found = codes(client.get(INDICATORS, params={"q": "budget"}, headers=bearer(token)))
    groups = client.get("/api/v1/groups", headers=bearer(token)).json()
    found_by_administrator = codes(client.get(INDICATORS, params={"q": "budget"}))

    assert found and DRAFT not in found
    annual = next(group for group in groups if group["code"] == "ANNUAL_PLAN")
    assert annual["indicators"] and DRAFT not in annual["indicators"]
    assert DRAFT in found_by_administrator


def test_coverage_does_not_name_a_restricted_indicator_to_another_agency(
    store: Store, client: TestClient
) -> None:
    token = officer(store, "MOH")

    named = missing_codes(client.get("/api/v1/coverage", headers=bearer(token)))
    named_to_administrator = missing_codes(client.get("/api/v1/coverage"))

    assert DRAFT in named_to_administrator
    assert named and DRAFT not in named


@pytest.mark.parametrize("format", [None, "json", "csv", "xlsx"])
def test_a_restricted_indicator_answers_as_unknown_to_another_agency_in_every_format(
    store: Store, client: TestClient, format: str | None
) -> None:
    client.post(OBSERVATIONS, json={"observations": [observation(DRAFT, "VN", "2026", 2e6)]})
    token = officer(store, "MOH")
    params = {"indicator": DRAFT} | ({"format": format} if format else {})

    detail_answer = client.get(f"{INDICATORS}/{DRAFT}", headers=bearer(token))
    data_answer = client.get(DATA, params=params, headers=bearer(token))

    expected = unknown_indicator_detail(client, DRAFT)
    assert assert_problem(detail_answer, 404, "not-found")["detail"] == expected
    assert assert_problem(data_answer, 404, "not-found")["detail"] == expected


def test_the_owning_agency_reads_its_restricted_indicator_whatever_its_clearance(
    store: Store, client: TestClient
) -> None:
    token = officer(store, "MOF", clearance=Clearance.PUBLIC)

    answer = client.get(DATA, params={"indicator": DRAFT, "format": "csv"}, headers=bearer(token))

    assert answer.status_code == 200


def test_a_ministry_writes_its_own_indicators_and_not_another_agencys(
    store: Store, client: TestClient
) -> None:
    token = officer(store, "MOF")
    own = observation("EXPORTS", "VN", "2025-M01", 40_000)
    other = observation("RETAIL_SALES", "VN", "2025-M01", 550_000)  # owned by the NSO

    refused = write(client, token, own, other)
    accepted = write(client, token, own)

    [error] = row_errors(refused)
    assert (error["row"], error["field"], error["value"]) == (2, "indicator", "RETAIL_SALES")
    assert error["reason"].startswith("is owned by NSO;")
    assert accepted.status_code == 201
    assert accepted.json()["stored"] == 1  # the refused batch had stored nothing


def test_a_provincial_committee_writes_for_its_own_province_only(
    store: Store, client: TestClient
) -> None:
    token = officer(store, "UBND-01")
    hanoi = observation("RETAIL_SALES", "01", "2025-M01", 52_000)
    saigon = observation("RETAIL_SALES", "79", "2025-M01", 98_000)

    refused = write(client, token, hanoi, saigon)
    accepted = write(client, token, hanoi)

    [error] = row_errors(refused)
    assert (error["row"], error["field"], error["value"]) == (2, "area", "79")
    assert "writes for UBND-01 only" in error["reason"]
    assert accepted.status_code == 201
    assert accepted.json()["stored"] == 1


def test_a_writer_cannot_write_an_indicator_it_may_not_see(
    store: Store, client: TestClient
) -> None:
    token = officer(store, "UBND-01")

    refused = write(client, token, observation(DRAFT, "01", "2026", 1_000))

    [error] = row_errors(refused)
    assert (error["field"], error["reason"]) == ("indicator", "not in the catalogue")
