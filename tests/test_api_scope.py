"""Classification and agency scope: what a caller sees and writes through the API."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
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
from govops.core.db import transaction
from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload, store_observations
from govops.security.permissions import Clearance, Role
from govops.security.sessions import COOKIE_NAME, start_session
from govops.web.app import create_app
from govops.web.room import save_headline_codes
from security_helpers import new_user

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


# --- every other way out: Accept headers, the pages, their downloads, the map ------------

ACCEPTED_FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@pytest.mark.parametrize("format", sorted(ACCEPTED_FORMATS))
def test_a_restricted_indicator_asked_for_by_accept_header_answers_as_unknown(
    store: Store, client: TestClient, format: str
) -> None:
    client.post(OBSERVATIONS, json={"observations": [observation(DRAFT, "VN", "2026", 2e6)]})
    headers = bearer(officer(store, "MOH")) | {"Accept": ACCEPTED_FORMATS[format]}

    answer = client.get(DATA, params={"indicator": DRAFT}, headers=headers)

    expected = unknown_indicator_detail(client, DRAFT)
    assert assert_problem(answer, 404, "not-found")["detail"] == expected
    own = client.get(
        DATA, params={"indicator": DRAFT}, headers={"Accept": ACCEPTED_FORMATS[format]}
    )
    assert own.status_code == 200 and own.headers["content-type"].startswith(
        ACCEPTED_FORMATS[format]
    )


@pytest.fixture
def pages(store: Store, tmp_path: Path) -> Iterator[Callable[[str], TestClient]]:
    """Page clients signed in as agency officers, by agency code; the draft has values."""
    app = create_app(store.settings(data_dir=tmp_path))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        store_draft_values(store)

        def signed_in(agency: str) -> TestClient:
            with transaction(store.sessions) as session:
                user = new_user(
                    session,
                    f"page.{agency.lower()}",
                    role=Role.AGENCY_OFFICER,
                    agency=agency,
                    clearance=Clearance.INTERNAL,
                )
                client.cookies.set(COOKIE_NAME, start_session(session, user, method="pw").token)
            return client

        yield signed_in
    app.state.engine.dispose()


def store_draft_values(store: Store) -> None:
    rows = [
        IncomingRow(1, DRAFT, "VN", "2026", "2123456"),
        IncomingRow(2, DRAFT, "01", "2026", "98765"),
    ]
    with transaction(store.sessions) as session:
        store_observations(session, rows, Payload(b"draft", "text/csv", "test"))


def error_detail(html: str) -> str:
    found = re.search(r'<p class="error-detail">([^<]*)</p>', html)
    assert found, "the answer is not an error page"
    return found.group(1)


PAGE_ROUTES = {
    "indicator page": "/indicators/{code}",
    "CSV download": "/indicators/{code}/data.csv",
    "XLSX download": "/indicators/{code}/data.xlsx",
    "map": "/map?indicator={code}",
}


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES))
def test_a_restricted_indicator_is_a_page_about_an_unknown_code_to_another_agency(
    pages: Callable[[str], TestClient], route: str
) -> None:
    client = pages("MOH")
    address = PAGE_ROUTES[route]

    hidden = client.get(address.format(code=DRAFT))
    unknown = client.get(address.format(code="NO_SUCH_CODE"))

    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert error_detail(hidden.text) == error_detail(unknown.text).replace("NO_SUCH_CODE", DRAFT)
    assert "2123456" not in hidden.text and "2.123.456" not in hidden.text


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES))
def test_the_owning_agency_opens_its_restricted_indicator_on_every_page_route(
    pages: Callable[[str], TestClient], route: str
) -> None:
    client = pages("MOF")

    answer = client.get(PAGE_ROUTES[route].format(code=DRAFT))

    assert answer.status_code == 200, answer.text[:300]


def test_the_situation_room_leaves_a_restricted_headline_out_for_another_agency(
    store: Store, pages: Callable[[str], TestClient], tmp_path: Path
) -> None:
    save_headline_codes(tmp_path, ["CPI", DRAFT])
    name = "Dự thảo dự toán thu ngân sách nhà nước"

    other = pages("MOH")
    seen_by_other = [other.get(path).text for path in ("/", "/wall", "/wall/data")]
    seen_by_owner = pages("MOF").get("/").text

    assert all(name not in text and DRAFT not in text for text in seen_by_other)
    assert name in seen_by_owner
