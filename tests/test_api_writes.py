"""Writing observations over HTTP: receipts, vintages, and batches refused whole."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from api_helpers import (
    OBSERVATIONS,
    TestClient,
    assert_problem,
    instant,
    observation,
    open_client,
    read_data,
    receipt_of,
    row_errors,
    stored_points,
    write_csv,
    write_json,
)
from conftest import Store
from govops.datastore import writes


@pytest.fixture(scope="module")
def app_client(reference_store: Store) -> Iterator[TestClient]:
    """One app per database for the module: building an app costs more than most tests."""
    with open_client(reference_store) as client:
        yield client


@pytest.fixture
def client(store: Store, app_client: TestClient) -> TestClient:
    """The module's client on a store emptied of observations after the test."""
    return app_client


def nothing_stored_for_hanoi(client: TestClient) -> bool:
    """True when no retail sales of Ha Noi (code 01) in 2025 are in the store."""
    return stored_points(client, "RETAIL_SALES", "01", "2025-M01", "2025-M12") == []


CSV_STATUS = "indicator,area,period,value,status"


# --- receipts ---------------------------------------------------------------------------


def test_a_json_batch_is_stored_and_answered_with_a_receipt(client: TestClient) -> None:
    response = write_json(
        client,
        observation("RETAIL_SALES", "01", "2025-M01", "52340.5"),
        observation("RETAIL_SALES", "01", "2025-M02", 49870.25),
        observation("RETAIL_SALES", "79", "2025-M01", 101200),
    )

    receipt = receipt_of(response)
    assert (receipt["rows"], receipt["stored"], receipt["unchanged"]) == (3, 3, 0)
    assert receipt["series_created"] == 2
    assert instant(receipt["received_at"]).utcoffset() is not None
    assert stored_points(client, "RETAIL_SALES", "01", "2025-M01", "2025-M02") == [
        ("2025-M01", 52340.5, "A"),
        ("2025-M02", 49870.25, "A"),
    ]


def test_a_receipt_can_be_read_again_by_its_submission_number(client: TestClient) -> None:
    receipt = receipt_of(write_json(client, observation("CPI", "VN", "2025-M03", "103.2")))

    again = client.get(f"/api/v1/submissions/{receipt['submission']}")

    assert again.status_code == 200
    assert again.json() == receipt


def test_a_csv_batch_with_status_and_dimension_columns_is_stored(client: TestClient) -> None:
    response = write_csv(
        client,
        "POP,VN,2024,101112.3,A,_T",
        "POP,VN,2024,50346.1,P,M",
        "POP,VN,2024,50766.2,P,F",
        header="indicator,area,period,value,status,SEX",
    )

    receipt = receipt_of(response)
    assert (receipt["rows"], receipt["stored"], receipt["series_created"]) == (3, 3, 3)
    women = read_data(client, indicator="POP", start="2024", end="2024", dims="SEX:F")
    assert [(p["value"], p["status"]) for p in women["series"][0]["points"]] == [(50766.2, "P")]


def test_a_missing_value_is_stored_with_status_m_and_no_value(client: TestClient) -> None:
    receipt = receipt_of(write_csv(client, "RETAIL_SALES,01,2025-M01,,M", header=CSV_STATUS))

    assert receipt["stored"] == 1
    assert stored_points(client, "RETAIL_SALES", "01", "2025-M01", "2025-M01") == [
        ("2025-M01", None, "M")
    ]


def test_resending_the_same_body_stores_nothing_new(client: TestClient) -> None:
    rows = [
        observation("RETAIL_SALES", "01", "2025-M01", "52340.5"),
        observation("RETAIL_SALES", "01", "2025-M02", "49870.2"),
    ]
    first = receipt_of(write_json(client, *rows))

    second = receipt_of(write_json(client, *rows))

    assert (second["rows"], second["stored"], second["unchanged"]) == (2, 0, 2)
    assert second["series_created"] == 0
    assert second["submission"] != first["submission"]
    answer = read_data(client, indicator="RETAIL_SALES", area="01", start="2025-M01")
    stamps = {p["recorded_at"] for p in answer["series"][0]["points"]}
    assert {instant(stamp) for stamp in stamps} == {instant(first["received_at"])}


def test_a_batch_over_many_series_is_compared_with_what_is_known_piece_by_piece(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A statement takes at most 65,535 parameters on PostgreSQL, so the series of a large
    # batch are looked up in pieces; three series to a piece shows the pieces join up.
    monkeypatch.setattr(writes, "LATEST_KNOWN_SERIES_PER_QUERY", 3)
    areas = ("01", "79", "31", "48", "92", "22", "24")
    first = [observation("RETAIL_SALES", code, "2025-M01", "100") for code in areas]
    receipt_of(write_json(client, *first))

    changed = [observation("RETAIL_SALES", code, "2025-M01", "101") for code in areas[:2]]
    again = receipt_of(write_json(client, *changed, *first[2:]))

    assert (again["rows"], again["stored"], again["unchanged"]) == (7, 2, 5)


def test_a_value_written_with_other_trailing_zeros_counts_as_unchanged(
    client: TestClient,
) -> None:
    receipt_of(write_csv(client, "RETAIL_SALES,01,2025-M01,1.5"))

    again = receipt_of(write_csv(client, "RETAIL_SALES,01,2025-M01,1.50"))

    assert (again["stored"], again["unchanged"]) == (0, 1)


def test_a_revision_adds_a_vintage_and_the_earlier_value_stays_visible_as_of_before_it(
    client: TestClient,
) -> None:
    first = receipt_of(write_json(client, observation("RETAIL_SALES", "01", "2025-M01", "100")))
    revision = receipt_of(
        write_json(client, observation("RETAIL_SALES", "01", "2025-M01", "120", status="P"))
    )

    latest = read_data(client, indicator="RETAIL_SALES", area="01")
    known_before = read_data(
        client, indicator="RETAIL_SALES", area="01", as_of=first["received_at"]
    )

    assert (revision["stored"], revision["unchanged"]) == (1, 0)
    assert [(p["value"], p["status"]) for p in latest["series"][0]["points"]] == [(120.0, "P")]
    (earlier,) = known_before["series"][0]["points"]
    assert (earlier["value"], earlier["status"]) == (100.0, "A")
    assert instant(earlier["recorded_at"]) == instant(first["received_at"])


# --- one bad row refuses the whole batch ------------------------------------------------

GOOD_ROW = observation("RETAIL_SALES", "01", "2025-M01", "52340.5")

BAD_ROWS = [
    pytest.param(
        observation("NOT_AN_INDICATOR", "01", "2025-M02", "5"),
        "indicator",
        "not in the catalogue",
        "NOT_AN_INDICATOR",
        id="unknown indicator",
    ),
    pytest.param(
        observation("RETAIL_SALES", "999", "2025-M02", "5"),
        "area",
        "area code '999' does not exist",
        "999",
        id="unknown area",
    ),
    pytest.param(
        observation("RETAIL_SALES", "27", "2025-M08", "5"),
        "area",
        "became part of 24 Bắc Ninh",
        "27",
        id="province code gone after the July 2025 merger",
    ),
    pytest.param(
        observation("RETAIL_SALES", "01", "2025-Q1", "5"),
        "period",
        "a monthly period is required",
        "2025-Q1",
        id="quarter for a monthly indicator",
    ),
    pytest.param(
        observation("RETAIL_SALES", "01", "2025-M02", "about 5"),
        "value",
        "is not a number",
        "about 5",
        id="value not a number",
    ),
    pytest.param(
        observation("RETAIL_SALES", "01", "2025-M02", "1,5"),
        "value",
        "'.' as the decimal sign",
        "1,5",
        id="comma decimal",
    ),
    pytest.param(
        observation("RETAIL_SALES", "01", "2025-M02", None),
        "value",
        "is empty; send a number, or status M",
        None,
        id="empty value without status M",
    ),
    pytest.param(
        observation("TRADE_BALANCE", "VN", "2025-M02", "-120.5"),
        "indicator",
        "derived by a formula",
        "TRADE_BALANCE",
        id="derived indicator",
    ),
    pytest.param(
        observation("POP", "VN", "2024", "50000", dims={"SEX": "X"}),
        "SEX",
        "'X' is not one of F, M, _T",
        "X",
        id="value outside a dimension's codelist",
    ),
    pytest.param(
        observation("RETAIL_SALES", "01", "2025-M02", "5", status="final"),
        "status",
        "must be one of A (normal)",
        "final",
        id="unknown status",
    ),
]


@pytest.mark.parametrize(("bad_row", "field", "reason", "value"), BAD_ROWS)
def test_one_bad_row_refuses_the_batch_naming_its_row_and_field(
    client: TestClient, bad_row: dict[str, Any], field: str, reason: str, value: str | None
) -> None:
    later_good_row = observation("RETAIL_SALES", "01", "2025-M03", "50000")

    response = write_json(client, GOOD_ROW, bad_row, later_good_row)

    (error,) = row_errors(response)
    assert (error["row"], error["field"], error["value"]) == (2, field, value)
    assert reason in error["reason"]
    assert f"first at row 2, field '{field}'" in response.json()["detail"]
    assert nothing_stored_for_hanoi(client)


def test_every_bad_row_of_a_csv_batch_is_named_and_none_is_stored(client: TestClient) -> None:
    response = write_csv(
        client,
        "RETAIL_SALES,01,2025-M01,52340.5",
        "RETAIL_SALES,01,2025-Q2,49870.2",
        "RETAIL_SALES,27,2025-M08,3120.4",
        "RETAIL_SALES,01,2025-M04,n/a",
    )

    errors = row_errors(response)
    assert [(e["row"], e["field"], e["value"]) for e in errors] == [
        (2, "period", "2025-Q2"),
        (3, "area", "27"),
        (4, "value", "n/a"),
    ]
    assert response.json()["detail"].startswith("3 row error(s); first at row 2")
    assert nothing_stored_for_hanoi(client)


def test_a_comma_decimal_in_a_csv_cell_is_refused_with_advice(client: TestClient) -> None:
    response = write_csv(
        client, "RETAIL_SALES,01,2025-M01,52340.5", 'RETAIL_SALES,01,2025-M02,"1,5"'
    )

    (error,) = row_errors(response)
    assert (error["row"], error["field"], error["value"]) == (2, "value", "1,5")
    assert "write numbers with '.' as the decimal sign" in error["reason"]
    assert nothing_stored_for_hanoi(client)


def test_a_row_given_twice_in_one_batch_is_refused_naming_both_rows(client: TestClient) -> None:
    response = write_json(
        client,
        GOOD_ROW,
        observation("RETAIL_SALES", "01", "2025-M02", "49870.2"),
        observation("RETAIL_SALES", "01", "2025-01", "52000"),
    )

    (error,) = row_errors(response)
    assert (error["row"], error["field"]) == (3, "period")
    assert "duplicates row 1" in error["reason"]
    assert nothing_stored_for_hanoi(client)


def test_a_status_that_is_not_text_is_refused_as_a_row_error(client: TestClient) -> None:
    response = write_json(
        client, GOOD_ROW, observation("RETAIL_SALES", "01", "2025-M02", "5", status=1)
    )

    (error,) = row_errors(response)
    assert (error["row"], error["field"], error["value"]) == (2, "status", "1")
    assert nothing_stored_for_hanoi(client)


# --- bodies that cannot be read ---------------------------------------------------------


def xlsx_bytes() -> bytes:
    """A ZIP archive as an XLSX workbook is, holding one sheet's worth of CSV-like text."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "RETAIL_SALES,01,2025-M01,52340.5")
    return buffer.getvalue()


def test_an_xlsx_file_sent_as_csv_is_refused_as_the_wrong_media_type(client: TestClient) -> None:
    response = client.post(
        OBSERVATIONS, content=xlsx_bytes(), headers={"Content-Type": "text/csv"}
    )

    problem = assert_problem(response, 415, "unsupported-media-type")
    assert "ZIP archive" in problem["detail"]
    assert nothing_stored_for_hanoi(client)


def test_invalid_json_is_refused_with_where_it_breaks(client: TestClient) -> None:
    body = b'{"observations": [{"indicator": "RETAIL_SALES", "area": "01", "period": "2025-M01",'
    response = client.post(
        OBSERVATIONS, content=body, headers={"Content-Type": "application/json"}
    )

    problem = assert_problem(response, 400, "invalid-request")
    assert "not valid JSON" in problem["detail"]
    assert "line 1" in problem["detail"]
    assert nothing_stored_for_hanoi(client)


def test_json_without_an_observations_list_is_refused(client: TestClient) -> None:
    response = client.post(OBSERVATIONS, json=[GOOD_ROW])

    problem = assert_problem(response, 400, "invalid-request")
    assert '"observations"' in problem["detail"]
    assert nothing_stored_for_hanoi(client)


def test_a_csv_without_the_value_column_is_refused_naming_it(client: TestClient) -> None:
    response = write_csv(client, "RETAIL_SALES,01,2025-M01", header="indicator,area,period")

    problem = assert_problem(response, 400, "invalid-request")
    assert problem["missing_columns"] == ["value"]
    assert "lacks column(s) value" in problem["detail"]
    assert nothing_stored_for_hanoi(client)


def test_a_csv_row_with_too_many_cells_is_refused_naming_its_line(client: TestClient) -> None:
    response = write_csv(
        client, "RETAIL_SALES,01,2025-M01,52340.5", "RETAIL_SALES,01,2025-M02,1,5"
    )

    problem = assert_problem(response, 400, "invalid-request")
    assert (problem["row"], problem["line"]) == (2, 3)
    assert nothing_stored_for_hanoi(client)


def test_a_body_of_an_unsupported_content_type_is_refused(client: TestClient) -> None:
    response = client.post(
        OBSERVATIONS,
        content=b"indicator,area,period,value\nRETAIL_SALES,01,2025-M01,52340.5\n",
        headers={"Content-Type": "text/plain"},
    )

    problem = assert_problem(response, 415, "unsupported-media-type")
    assert "'text/plain'" in problem["detail"]
    assert "application/json or text/csv" in problem["detail"]
    assert nothing_stored_for_hanoi(client)


def test_a_body_over_the_configured_limit_is_refused_before_it_is_read(store: Store) -> None:
    lines = [f"RETAIL_SALES,01,2025-M{month:02d},{50000 + month}.5" for month in range(1, 13)]
    small_body = lines[:2]

    with open_client(store, max_body_bytes=200) as client:
        accepted = write_csv(client, *small_body)
        refused = write_csv(client, *lines)

        assert receipt_of(accepted)["stored"] == 2
        problem = assert_problem(refused, 413, "payload-too-large")
        assert "200" in problem["detail"]
        stored = stored_points(client, "RETAIL_SALES", "01", "2025-M01", "2025-M12")
        assert [period for period, _, _ in stored] == ["2025-M01", "2025-M02"]


def test_a_batch_over_the_configured_row_limit_is_refused(store: Store) -> None:
    with open_client(store, max_rows_per_write=2) as client:
        response = write_csv(
            client,
            "RETAIL_SALES,01,2025-M01,52340.5",
            "RETAIL_SALES,01,2025-M02,49870.2",
            "RETAIL_SALES,01,2025-M03,50110.0",
        )

        problem = assert_problem(response, 413, "payload-too-large")
        assert "the limit is 2" in problem["detail"]
        assert nothing_stored_for_hanoi(client)
