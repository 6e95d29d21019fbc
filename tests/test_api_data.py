"""Reading data over HTTP: shapes, formats, transforms, the 2025 merger and refusals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook

from api_helpers import (
    DATA,
    TestClient,
    assert_problem,
    instant,
    observation,
    open_client,
    points,
    read_data,
    receipt_of,
    series_points,
    write_csv,
    write_json,
)
from conftest import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_COLUMNS = [
    "indicator",
    "area",
    "area_name_vi",
    "period",
    "value",
    "unit",
    "status",
    "recorded_at",
    "note",
]


@pytest.fixture(scope="module")
def app_client(reference_store: Store) -> Iterator[TestClient]:
    """One app per database for the module: building an app costs more than most tests."""
    with open_client(reference_store) as client:
        yield client


@pytest.fixture
def client(store: Store, app_client: TestClient) -> TestClient:
    """The module's client on a store emptied of observations after the test."""
    return app_client


def write_monthly(client: TestClient, indicator: str, area: str, values: dict[str, str]) -> None:
    rows = [observation(indicator, area, period, value) for period, value in values.items()]
    receipt_of(write_json(client, *rows))


# --- the shape of an answer -------------------------------------------------------------


def test_a_json_answer_carries_unit_decimals_and_points_with_their_vintage(
    client: TestClient,
) -> None:
    receipt = receipt_of(
        write_csv(
            client,
            "RETAIL_SALES,01,2025-M01,52340.5,A",
            "RETAIL_SALES,01,2025-M02,49870.2,P",
            header="indicator,area,period,value,status",
        )
    )

    answer = read_data(client, indicator="RETAIL_SALES", area="01", start="2025-M01")

    assert answer["indicator"] == "RETAIL_SALES"
    assert (answer["unit"], answer["decimals"], answer["frequency"]) == ("VND billion", 1, "M")
    assert (answer["transform"], answer["as_of"]) == ("none", None)
    (series,) = answer["series"]
    assert (series["area"]["code"], series["area"]["name_en"]) == ("01", "Hanoi")
    assert [(p["period"], p["value"], p["status"]) for p in series["points"]] == [
        ("2025-M01", 52340.5, "A"),
        ("2025-M02", 49870.2, "P"),
    ]
    for point in series["points"]:
        assert instant(point["recorded_at"]) == instant(receipt["received_at"])


def test_without_an_area_the_answer_is_for_the_nation(client: TestClient) -> None:
    write_monthly(client, "CPI", "VN", {"2025-M03": "103.21"})

    answer = read_data(client, indicator="CPI")

    assert answer["series"][0]["area"]["code"] == "VN"
    assert points(answer) == [("2025-M03", 103.21, "A")]


def test_a_query_before_any_write_knew_nothing(client: TestClient) -> None:
    write_monthly(client, "CPI", "VN", {"2025-M03": "103.21"})

    answer = read_data(client, indicator="CPI", as_of="2025-04-01")

    assert answer["as_of"] is not None
    assert points(answer) == []


# --- CSV and XLSX -----------------------------------------------------------------------


def hanoi_retail(client: TestClient) -> None:
    write_monthly(client, "RETAIL_SALES", "01", {"2025-M01": "52340.5", "2025-M02": "49870.25"})


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        pytest.param({"format": "csv"}, {}, id="format parameter"),
        pytest.param({}, {"Accept": "text/csv"}, id="Accept header"),
    ],
)
def test_csv_answers_the_same_rows_with_exact_values(
    client: TestClient, params: dict[str, str], headers: dict[str, str]
) -> None:
    hanoi_retail(client)
    query = {"indicator": "RETAIL_SALES", "area": "01", "start": "2025-M01", **params}

    response = client.get(DATA, params=query, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="RETAIL_SALES-' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert [(r["area"], r["area_name_vi"], r["period"], r["value"]) for r in rows] == [
        ("01", "Thành phố Hà Nội", "2025-M01", "52340.5"),
        ("01", "Thành phố Hà Nội", "2025-M02", "49870.25"),
    ]
    assert {(r["unit"], r["status"], r["note"]) for r in rows} == {("VND billion", "A", "")}


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        pytest.param({"format": "xlsx"}, {}, id="format parameter"),
        pytest.param({}, {"Accept": XLSX}, id="Accept header"),
    ],
)
def test_xlsx_answers_a_workbook_with_a_header_and_numbers(
    client: TestClient, params: dict[str, str], headers: dict[str, str]
) -> None:
    hanoi_retail(client)
    query = {"indicator": "RETAIL_SALES", "area": "01", "start": "2025-M01", **params}

    response = client.get(DATA, params=query, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.title == "RETAIL_SALES"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert [(row[1], row[3], row[4], row[6]) for row in rows[1:]] == [
        ("01", "2025-M01", 52340.5, "A"),
        ("01", "2025-M02", 49870.25, "A"),
    ]
    assert sheet.cell(row=2, column=5).number_format == "0.0"


def test_a_format_not_offered_is_refused_naming_those_that_are(client: TestClient) -> None:
    response = client.get(DATA, params={"indicator": "CPI", "format": "pdf"})

    problem = assert_problem(response, 406, "not-acceptable")
    assert "json, csv, xlsx" in problem["detail"]


# --- transforms on values with known answers ---------------------------------------------

# Retail sales of Ha Noi, VND billion. Year to date 2024: 80, 200, 400; 2025: 100, 240, 500.
HANOI_2024 = {"2024-M01": "80", "2024-M02": "120", "2024-M03": "200"}
HANOI_2025 = {"2025-M01": "100", "2025-M02": "140", "2025-M03": "260"}


def hanoi_transformed(client: TestClient, transform: str) -> list[tuple[str, float | None, str]]:
    write_monthly(client, "RETAIL_SALES", "01", HANOI_2024 | HANOI_2025)
    answer = read_data(
        client,
        indicator="RETAIL_SALES",
        area="01",
        start="2025-M01",
        end="2025-M03",
        transform=transform,
    )
    return points(answer)


def test_year_on_year_is_the_percent_change_on_the_same_month_last_year(
    client: TestClient,
) -> None:
    # 100/80 = 1.25; 140/120 = 1.1666…; 260/200 = 1.30
    assert hanoi_transformed(client, "yoy") == [
        ("2025-M01", 25.0, "A"),
        ("2025-M02", 16.67, "A"),
        ("2025-M03", 30.0, "A"),
    ]


def test_year_to_date_adds_the_months_since_january(client: TestClient) -> None:
    assert hanoi_transformed(client, "ytd") == [
        ("2025-M01", 100.0, "A"),
        ("2025-M02", 240.0, "A"),
        ("2025-M03", 500.0, "A"),
    ]


def test_year_to_date_on_year_compares_with_the_same_months_last_year(
    client: TestClient,
) -> None:
    # 100/80 = 1.25; 240/200 = 1.20; 500/400 = 1.25
    assert hanoi_transformed(client, "ytd_yoy") == [
        ("2025-M01", 25.0, "A"),
        ("2025-M02", 20.0, "A"),
        ("2025-M03", 25.0, "A"),
    ]


def test_year_on_year_without_last_years_value_is_a_gap(client: TestClient) -> None:
    write_monthly(client, "RETAIL_SALES", "01", {"2025-M01": "100"})

    answer = read_data(
        client, indicator="RETAIL_SALES", area="01", start="2025-M01", transform="yoy"
    )

    assert points(answer) == [("2025-M01", None, "M")]


def test_a_transformed_answer_names_its_unit(client: TestClient) -> None:
    write_monthly(client, "RETAIL_SALES", "01", HANOI_2024 | HANOI_2025)

    answer = read_data(client, indicator="RETAIL_SALES", area="01", transform="yoy")

    assert (answer["unit"], answer["decimals"], answer["transform"]) == ("percent", 2, "yoy")


def test_share_is_a_provinces_percent_of_the_national_value(client: TestClient) -> None:
    write_monthly(client, "RETAIL_SALES", "VN", {"2025-M01": "400", "2025-M02": "300"})
    write_monthly(client, "RETAIL_SALES", "01", {"2025-M01": "100", "2025-M02": "100"})

    answer = read_data(
        client,
        indicator="RETAIL_SALES",
        area="01",
        start="2025-M01",
        end="2025-M02",
        transform="share",
    )

    # 100/400 = 25 %; 100/300 = 33.33 %
    assert points(answer) == [("2025-M01", 25.0, "A"), ("2025-M02", 33.33, "A")]
    assert answer["unit"] == "percent of the national value"


def test_share_of_an_indicator_that_does_not_add_up_is_refused(client: TestClient) -> None:
    response = client.get(DATA, params={"indicator": "IIP", "area": "01", "transform": "share"})

    problem = assert_problem(response, 400, "invalid-request")
    assert "IIP does not" in problem["detail"]


def test_quarters_of_a_monthly_sum_add_their_months_and_a_gap_marks_an_incomplete_one(
    client: TestClient,
) -> None:
    write_monthly(
        client,
        "RETAIL_SALES",
        "01",
        HANOI_2025 | {"2025-M04": "90", "2025-M06": "110"},
    )

    answer = read_data(
        client,
        indicator="RETAIL_SALES",
        area="01",
        start="2025-Q1",
        end="2025-Q2",
        frequency="Q",
    )

    assert answer["frequency"] == "Q"
    # 100 + 140 + 260 = 500; May is absent, so the second quarter is unknown.
    assert points(answer) == [("2025-Q1", 500.0, "A"), ("2025-Q2", None, "M")]
    assert answer["series"][0]["points"][1]["note"] == "2 of 3 periods known"


def test_a_finer_frequency_than_the_indicators_is_refused(client: TestClient) -> None:
    response = client.get(DATA, params={"indicator": "GDP_GROWTH_Q", "frequency": "M"})

    problem = assert_problem(response, 400, "invalid-request")
    assert "finer frequency M" in problem["detail"]


# --- areas across the July 2025 merger ----------------------------------------------------


def bac_ninh_series(client: TestClient, indicator: str) -> dict[str, Any]:
    """Current Bắc Ninh (24) from May to August 2025, after writing old Bắc Giang (24) and
    old Bắc Ninh (27) for May and June and the merged province for July and August."""
    receipt_of(
        write_json(
            client,
            observation(indicator, "24", "2025-M05", "100"),
            observation(indicator, "27", "2025-M05", "50"),
            observation(indicator, "24", "2025-M06", "110"),
            observation(indicator, "27", "2025-M06", "55"),
            observation(indicator, "24", "2025-M07", "170"),
            observation(indicator, "24", "2025-M08", "180"),
        )
    )
    answer = read_data(client, indicator=indicator, area="24", start="2025-M05", end="2025-M08")
    (series,) = answer["series"]
    assert series["area"]["name_vi"] == "Bắc Ninh"
    series_of_one: dict[str, Any] = series
    return series_of_one


def test_a_merged_province_adds_up_its_predecessors_before_july_2025(
    client: TestClient,
) -> None:
    series = bac_ninh_series(client, "RETAIL_SALES")

    assert series_points(series) == [
        ("2025-M05", 150.0, "A"),
        ("2025-M06", 165.0, "A"),
        ("2025-M07", 170.0, "A"),
        ("2025-M08", 180.0, "A"),
    ]
    (note,) = series["notes"]
    assert "assembled from predecessors" in note
    assert "24 Tỉnh Bắc Giang" in note
    assert "27 Tỉnh Bắc Ninh" in note


def test_a_merged_province_leaves_gaps_where_values_cannot_be_added_up(
    client: TestClient,
) -> None:
    series = bac_ninh_series(client, "IIP")

    assert series_points(series) == [
        ("2025-M05", None, "M"),
        ("2025-M06", None, "M"),
        ("2025-M07", 170.0, "A"),
        ("2025-M08", 180.0, "A"),
    ]
    for gap in series["points"][:2]:
        assert "IIP cannot be added up over areas" in gap["note"]


def test_an_old_province_code_reads_its_own_values_before_the_merger(client: TestClient) -> None:
    write_monthly(client, "RETAIL_SALES", "27", {"2025-M05": "50", "2025-M06": "55"})

    answer = read_data(client, indicator="RETAIL_SALES", area="27", end="2025-M06")

    assert answer["series"][0]["area"]["name_vi"] == "Tỉnh Bắc Ninh"
    assert points(answer) == [("2025-M05", 50.0, "A"), ("2025-M06", 55.0, "A")]


def test_an_old_province_code_after_the_merger_is_refused_naming_its_successor(
    client: TestClient,
) -> None:
    params = {"indicator": "RETAIL_SALES", "area": "27", "start": "2025-M08"}
    problem = assert_problem(client.get(DATA, params=params), 404, "not-found")

    assert "became part of 24 Bắc Ninh" in problem["detail"]


def test_all_provinces_after_the_merger_are_the_34(client: TestClient) -> None:
    answer = read_data(
        client, indicator="RETAIL_SALES", area="provinces", start="2025-M07", end="2025-M08"
    )

    codes = [series["area"]["code"] for series in answer["series"]]
    assert len(codes) == len(set(codes)) == 34


def test_all_provinces_before_the_merger_are_the_63(client: TestClient) -> None:
    answer = read_data(
        client, indicator="RETAIL_SALES", area="provinces", start="2025-M01", end="2025-M06"
    )

    assert len(answer["series"]) == 63


def test_a_national_value_absent_for_a_month_is_the_sum_of_every_province(
    client: TestClient,
) -> None:
    provinces = client.get("/api/v1/areas", params={"level": "province", "at": "2025-03-31"})
    codes = [area["code"] for area in provinces.json()]
    rows = [observation("RETAIL_SALES", code, "2025-M03", "10") for code in codes]
    receipt_of(write_json(client, *rows))

    answer = read_data(client, indicator="RETAIL_SALES", start="2025-M03", end="2025-M03")

    assert points(answer) == [("2025-M03", 630.0, "A")]
    assert answer["series"][0]["points"][0]["note"] == "sum of 63 provinces"


def test_a_national_series_with_nothing_summed_says_nothing_about_provinces(
    client: TestClient,
) -> None:
    write_monthly(client, "RETAIL_SALES", "VN", {"2025-M01": "400", "2025-M02": "300"})

    answer = read_data(client, indicator="RETAIL_SALES", start="2025-M01", end="2025-M03")

    assert points(answer) == [("2025-M01", 400.0, "A"), ("2025-M02", 300.0, "A")]
    assert answer["series"][0]["notes"] == []


# --- derived indicators -----------------------------------------------------------------


def test_the_trade_balance_is_exports_less_imports_for_the_nation(client: TestClient) -> None:
    write_monthly(client, "EXPORTS", "VN", {"2025-M06": "39500.3", "2025-M07": "42180.0"})
    write_monthly(client, "IMPORTS", "VN", {"2025-M06": "37200.1", "2025-M07": "43010.5"})

    answer = read_data(client, indicator="TRADE_BALANCE", start="2025-M06", end="2025-M07")

    assert points(answer) == [("2025-M06", 2300.2, "A"), ("2025-M07", -830.5, "A")]
    assert "derived: EXPORTS - IMPORTS" in answer["series"][0]["notes"]


def test_the_trade_balance_is_absent_where_an_input_is(client: TestClient) -> None:
    write_monthly(client, "EXPORTS", "VN", {"2025-M06": "39500.3", "2025-M07": "42180.0"})
    write_monthly(client, "IMPORTS", "VN", {"2025-M07": "43010.5"})

    answer = read_data(client, indicator="TRADE_BALANCE", start="2025-M06", end="2025-M07")

    assert points(answer) == [("2025-M07", -830.5, "A")]


# --- queries that are refused -----------------------------------------------------------


INVALID = "invalid-request"
INVALID_PERIOD = "invalid-period"


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        pytest.param({"as_of": "yesterday"}, INVALID, "as_of 'yesterday'", id="as_of not a date"),
        pytest.param(
            {"as_of": "2025-06-30T09:00:00"},
            INVALID,
            "has no time zone",
            id="as_of without a zone",
        ),
        pytest.param({"start": "2025-M13"}, INVALID_PERIOD, "'2025-M13'", id="month 13"),
        pytest.param(
            {"end": "2025-Q1"}, INVALID_PERIOD, "'2025-Q1'", id="quarter for a monthly indicator"
        ),
        pytest.param(
            {"start": "2025-M05", "end": "2025-M01"},
            INVALID,
            "ends (2025-M01) before it starts (2025-M05)",
            id="range ending before it starts",
        ),
        pytest.param({"transform": "growth"}, INVALID, "transform", id="unknown transform"),
        pytest.param({"dims": "SEX"}, INVALID, "CODE:VALUE", id="dimension without a value"),
    ],
)
def test_a_query_that_cannot_be_answered_is_a_bad_request_naming_what_is_wrong(
    client: TestClient, params: dict[str, str], code: str, words: str
) -> None:
    response = client.get(DATA, params={"indicator": "RETAIL_SALES", **params})

    problem = assert_problem(response, 400, code)
    assert words in problem["detail"]


def test_an_unknown_indicator_is_not_found(client: TestClient) -> None:
    problem = assert_problem(client.get(DATA, params={"indicator": "GDP"}), 404, "not-found")

    assert "'GDP' is not in the catalogue" in problem["detail"]


def test_a_query_for_more_values_than_allowed_is_refused_with_advice(client: TestClient) -> None:
    provinces = client.get("/api/v1/areas", params={"level": "province", "at": "2040-12-31"})
    codes = ",".join(area["code"] for area in provinces.json())
    # 34 provinces named one by one, times 14,976 days, is over the default 500,000.
    params = {
        "indicator": "POWER_DEMAND",
        "area": codes,
        "start": "2000-01-01",
        "end": "2040-12-31",
    }

    problem = assert_problem(client.get(DATA, params=params), 400, "invalid-request")

    assert "asks for 509184 values; the limit is 500000" in problem["detail"]
    assert "Narrow the period range or the areas" in problem["detail"]


def test_all_provinces_count_as_every_province_against_the_limit(client: TestClient) -> None:
    # The same 34 provinces asked for by the word "provinces": 34 times 22,280 days.
    params = {
        "indicator": "POWER_DEMAND",
        "area": "provinces",
        "start": "1990-01-01",
        "end": "2050-12-31",
    }

    problem = assert_problem(client.get(DATA, params=params), 400, "invalid-request")

    assert "the limit is 500000" in problem["detail"]


def test_the_query_limit_is_the_one_the_app_was_configured_with(store: Store) -> None:
    params = {"indicator": "RETAIL_SALES", "area": "01,79", "start": "2020-M01", "end": "2025-M12"}

    with open_client(store, max_query_cells=100) as client:
        response = client.get(DATA, params=params)

    problem = assert_problem(response, 400, "invalid-request")
    assert "asks for 144 values; the limit is 100" in problem["detail"]
