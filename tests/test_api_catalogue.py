"""The catalogue, areas, coverage and probes over HTTP, as an agency's system sees them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from api_helpers import (
    TestClient,
    assert_problem,
    observation,
    open_client,
    receipt_of,
    write_json,
)
from conftest import Store

INDICATORS = "/api/v1/indicators"
AREAS = "/api/v1/areas"
COVERAGE = "/api/v1/coverage"


@pytest.fixture(scope="module")
def app_client(reference_store: Store) -> Iterator[TestClient]:
    """One app per database for the module: building an app costs more than most tests."""
    with open_client(reference_store) as client:
        yield client


@pytest.fixture
def client(store: Store, app_client: TestClient) -> TestClient:
    """The module's client on a store emptied of observations after the test."""
    return app_client


def search(client: TestClient, **params: str) -> list[str]:
    response = client.get(INDICATORS, params=params)
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


# --- searching the catalogue ------------------------------------------------------------


def test_searching_chi_so_gia_without_diacritics_finds_the_consumer_price_index(
    client: TestClient,
) -> None:
    items = client.get(INDICATORS, params={"q": "chi so gia"}).json()["items"]

    names = {item["code"]: item["name_vi"] for item in items}
    assert names["CPI"] == "Chỉ số giá tiêu dùng"


def test_searching_xuat_khau_finds_exports_and_not_imports(client: TestClient) -> None:
    assert search(client, q="xuat khau") == ["EXPORTS"]


def test_english_words_find_an_indicator(client: TestClient) -> None:
    assert "CPI" in search(client, q="consumer price")
    assert search(client, q="exports of goods") == ["EXPORTS"]


def test_search_ignores_case_and_diacritics_alike(client: TestClient) -> None:
    folded = search(client, q="chi so gia")

    assert search(client, q="CHỈ SỐ GIÁ") == folded
    assert search(client, q="Consumer PRICE") == search(client, q="consumer price")


def test_every_word_of_a_search_must_match(client: TestClient) -> None:
    assert search(client, q="consumer price xuat khau") == []


def test_filtering_by_group_gives_exactly_the_groups_members(client: TestClient) -> None:
    groups = {group["code"]: group for group in client.get("/api/v1/groups").json()}

    found = search(client, group="PUBLIC_SERVICE")

    assert found == sorted(groups["PUBLIC_SERVICE"]["indicators"])
    assert found == [
        "DOSSIERS_ON_TIME_SHARE",
        "DOSSIERS_RECEIVED",
        "PROCEDURES_ONLINE_SHARE",
        "PUBLIC_SERVICE_SCORE",
    ]


def test_filtering_by_frequency_gives_only_indicators_of_that_frequency(
    client: TestClient,
) -> None:
    items = client.get(INDICATORS, params={"frequency": "Q", "limit": "200"}).json()["items"]

    assert {item["code"] for item in items} >= {"GDP_GROWTH_Q", "LABOUR_FORCE_Q"}
    assert {item["frequency"] for item in items} == {"Q"}


def test_filtering_by_owner_gives_the_agencys_indicators(client: TestClient) -> None:
    assert search(client, owner="EVN") == ["POWER_DEMAND", "POWER_PEAK_LOAD"]


def test_filters_and_words_combine(client: TestClient) -> None:
    assert search(client, q="chi so gia", frequency="A") == ["CPI_AVG_GROWTH"]


def test_an_unknown_frequency_filter_is_refused_naming_the_parameter(client: TestClient) -> None:
    problem = assert_problem(
        client.get(INDICATORS, params={"frequency": "X"}), 400, "invalid-request"
    )

    assert "frequency" in problem["detail"]


def test_following_cursors_walks_every_indicator_exactly_once(client: TestClient) -> None:
    everything = search(client, limit="200")
    walked: list[str] = []
    pages = 0
    params = {"limit": "7"}

    while True:
        page = client.get(INDICATORS, params=params).json()
        walked.extend(item["code"] for item in page["items"])
        pages += 1
        if page["next_cursor"] is None:
            break
        params = {"limit": "7", "cursor": page["next_cursor"]}

    assert len(everything) > 7 * 2
    assert walked == everything
    assert len(set(walked)) == len(walked)
    assert pages == -(-len(everything) // 7)


def test_a_cursor_this_server_never_gave_out_is_refused(client: TestClient) -> None:
    # A mangled cursor must not silently restart the walk at the first page: a client
    # following it would loop for ever.
    response = client.get(INDICATORS, params={"cursor": "!!!"})

    problem = assert_problem(response, 400, "invalid-request")
    assert problem["field"] == "cursor"


# --- one indicator ----------------------------------------------------------------------


def test_an_indicator_shows_its_unit_rules_and_groups(client: TestClient) -> None:
    cpi = client.get(f"{INDICATORS}/CPI").json()

    assert cpi["name_vi"] == "Chỉ số giá tiêu dùng"
    assert cpi["unit"] == {
        "code": "INDEX_2019",
        "name_vi": "chỉ số (năm 2019 = 100)",
        "name_en": "index (2019 = 100)",
        "symbol": "2019=100",
    }
    assert (cpi["frequency"], cpi["decimals"]) == ("M", 2)
    assert (cpi["area_rule"], cpi["weight_indicator"], cpi["time_rule"]) == (
        "weighted_mean",
        "POP",
        "mean",
    )
    assert set(cpi["groups"]) == {"MONTHLY_DIRECTING", "NSIS"}
    assert cpi["owner"] == "NSO"
    assert cpi["latest_period"] is None


def test_an_indicator_with_a_dimension_lists_its_values(client: TestClient) -> None:
    population = client.get(f"{INDICATORS}/POP").json()

    (sex,) = population["dimensions"]
    assert sex["code"] == "SEX"
    assert {value["code"] for value in sex["values"]} == {"_T", "M", "F"}


def test_a_derived_indicator_shows_its_formula(client: TestClient) -> None:
    balance = client.get(f"{INDICATORS}/TRADE_BALANCE").json()

    assert balance["formula"] == "EXPORTS - IMPORTS"


def test_an_indicator_shows_the_newest_period_with_data_once_written(client: TestClient) -> None:
    receipt_of(write_json(client, observation("CPI", "VN", "2025-M07", "104.2")))

    assert client.get(f"{INDICATORS}/CPI").json()["latest_period"] == "2025-M07"


def test_an_unknown_indicator_is_a_not_found_problem_naming_it(client: TestClient) -> None:
    problem = assert_problem(client.get(f"{INDICATORS}/NOT_AN_INDICATOR"), 404, "not-found")

    assert problem["title"] == "Not found"
    assert "'NOT_AN_INDICATOR' is not in the catalogue" in problem["detail"]
    assert problem["instance"] == f"{INDICATORS}/NOT_AN_INDICATOR"


# --- areas and the July 2025 merger -----------------------------------------------------


def provinces_on(client: TestClient, day: str) -> list[dict[str, Any]]:
    response = client.get(AREAS, params={"level": "province", "at": day})
    assert response.status_code == 200, response.text
    provinces: list[dict[str, Any]] = response.json()
    return provinces


def test_there_are_63_provinces_on_30_june_2025_and_34_from_1_july(client: TestClient) -> None:
    before = provinces_on(client, "2025-06-30")
    after = provinces_on(client, "2025-07-01")

    assert len(before) == 63
    assert len(after) == 34
    assert len({area["code"] for area in after}) == 34


def test_code_24_is_bac_giang_before_the_merger(client: TestClient) -> None:
    area = client.get(f"{AREAS}/24", params={"at": "2025-01-01"}).json()

    assert area["name_vi"] == "Tỉnh Bắc Giang"
    assert area["valid_to"] == "2025-07-01"
    assert [successor["name_vi"] for successor in area["successors"]] == ["Bắc Ninh"]


def test_code_24_is_bac_ninh_after_the_merger_with_predecessors_24_and_27(
    client: TestClient,
) -> None:
    area = client.get(f"{AREAS}/24", params={"at": "2025-08-01"}).json()

    assert area["name_vi"] == "Bắc Ninh"
    assert area["valid_from"] == "2025-07-01"
    assert area["parent"]["code"] == "VN"
    predecessors = {old["code"]: old["name_vi"] for old in area["predecessors"]}
    assert predecessors == {"24": "Tỉnh Bắc Giang", "27": "Tỉnh Bắc Ninh"}


def test_code_27_after_the_merger_is_not_found_and_says_it_became_part_of_24(
    client: TestClient,
) -> None:
    response = client.get(f"{AREAS}/27", params={"at": "2025-08-01"})

    problem = assert_problem(response, 404, "not-found")
    assert "became part of 24 Bắc Ninh" in problem["detail"]
    assert problem["area"] == "27"


def test_a_date_that_is_not_a_date_is_refused_naming_the_parameter(client: TestClient) -> None:
    problem = assert_problem(
        client.get(AREAS, params={"at": "30/06/2025"}), 400, "invalid-request"
    )

    assert problem["field"] == "at"
    assert "30/06/2025" in problem["detail"]


# --- coverage of the programme's targets ------------------------------------------------

# On 15 August 2025 the newest monthly figures due are July's (published 6 August).
COVERAGE_DAY = "2025-08-15"


def coverage_on(client: TestClient, day: str) -> dict[str, dict[str, Any]]:
    response = client.get(COVERAGE, params={"date": day})
    assert response.status_code == 200, response.text
    return {group["code"]: group for group in response.json()["groups"]}


def test_coverage_lists_every_group_with_its_target_share_and_missing_indicators(
    client: TestClient,
) -> None:
    groups = {group["code"]: group for group in client.get("/api/v1/groups").json()}

    coverage = coverage_on(client, COVERAGE_DAY)

    assert coverage.keys() == groups.keys()
    assert coverage["NSIS"]["target"] == 0.8
    assert coverage["MINISTRY_LOCAL"]["target"] == 0.5
    assert coverage["EMERGENCIES"]["target"] is None
    for code, group in coverage.items():
        assert group["indicators"] == len(groups[code]["indicators"])
        assert (group["covered"], group["share"]) == (0, 0.0)
        assert {item["code"] for item in group["missing"]} == set(groups[code]["indicators"])
    assert coverage["NSIS"]["meets_target"] is False
    assert coverage["EMERGENCIES"]["meets_target"] is None


def test_coverage_counts_a_monthly_indicator_once_its_latest_due_month_is_written(
    client: TestClient,
) -> None:
    before = coverage_on(client, COVERAGE_DAY)["NSIS"]
    cpi = next(item for item in before["missing"] if item["code"] == "CPI")
    assert cpi["due_period"] == "2025-M07"

    receipt_of(write_json(client, observation("CPI", "VN", "2025-M06", "103.9")))
    assert coverage_on(client, COVERAGE_DAY)["NSIS"]["covered"] == before["covered"]

    receipt_of(write_json(client, observation("CPI", "VN", "2025-M07", "104.2")))
    after = coverage_on(client, COVERAGE_DAY)["NSIS"]

    assert after["covered"] == before["covered"] + 1
    assert "CPI" not in {item["code"] for item in after["missing"]}
    assert after["share"] == round(after["covered"] / after["indicators"], 4)


# --- probes and the published API description -------------------------------------------


def test_health_answers_ok(client: TestClient) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_answers_ready_on_a_migrated_store(client: TestClient) -> None:
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


# The datastore's own part of the public API; other domains list theirs in their tests.
OPERATIONS = {
    ("get", "/api/v1/indicators"),
    ("get", "/api/v1/indicators/{code}"),
    ("get", "/api/v1/groups"),
    ("get", "/api/v1/agencies"),
    ("get", "/api/v1/units"),
    ("get", "/api/v1/areas"),
    ("get", "/api/v1/areas/{code}"),
    ("get", "/api/v1/data"),
    ("post", "/api/v1/observations"),
    ("get", "/api/v1/submissions/{submission_id}"),
    ("get", "/api/v1/coverage"),
    ("get", "/health"),
    ("get", "/ready"),
}


def test_the_openapi_document_lists_every_route_with_a_summary(client: TestClient) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.text)
    assert document["info"]["title"] == "govops API"
    listed = {(method, path) for path, item in document["paths"].items() for method in item}
    assert listed >= OPERATIONS
    for method, path in listed:
        operation = document["paths"][path][method]
        assert operation["summary"], f"{method} {path} has no summary"
        assert operation["description"], f"{method} {path} has no description"
