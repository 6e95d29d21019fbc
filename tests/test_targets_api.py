"""The targets API: listing with status and probability, recording, loading, thresholds."""

from __future__ import annotations

from api_helpers import (
    assert_problem,
    bearer,
    observation,
    open_client,
    person_token,
    receipt_of,
    row_errors,
    write_json,
)
from govops.security.permissions import Role

TARGETS = "/api/v1/targets"
HANOI_RETAIL_2024 = {
    "indicator": "RETAIL_SALES",
    "area": "01",
    "period": "2024",
    "comparator": "at_least",
    "low": "1200",
    "source": "Hanoi plan 2024",
    "source_kind": "provincial_plan",
}


def hanoi_retail_2024(client, value: int = 100) -> None:
    rows = [observation("RETAIL_SALES", "01", f"2024-M{m:02d}", value) for m in range(1, 13)]
    receipt_of(write_json(client, *rows))


def test_a_recorded_target_is_listed_with_its_status_and_probability(store):
    with open_client(store) as client:
        hanoi_retail_2024(client)
        created = client.post(TARGETS, json=HANOI_RETAIL_2024)
        listed = client.get(TARGETS, params={"year": "2024", "status": "achieved"})
        detail = client.get(f"{TARGETS}/{created.json()['id']}")

    assert created.status_code == 201, created.text
    assert [item["id"] for item in listed.json()["items"]] == [created.json()["id"]]
    assert (
        detail.json()
        | {
            "status": "achieved",
            "status_vi": "Đạt",
            "probability": 1.0,
            "value": "1200",
            "known_parts": 12,
        }
        == detail.json()
    )


def test_a_target_the_indicator_cannot_form_is_refused_naming_the_period(store):
    with open_client(store) as client:
        response = client.post(
            TARGETS, json=HANOI_RETAIL_2024 | {"indicator": "GDP_GROWTH_Q", "area": "VN"}
        )

    problem = assert_problem(response, 400, "invalid-request")
    assert problem["field"] == "period"
    assert "time rule 'none'" in problem["detail"]


def test_a_csv_load_with_a_bad_row_is_refused_whole_naming_the_row(store):
    body = (
        "indicator,area,period,comparator,low,source\n"
        "RETAIL_SALES,01,2026,at_least,1000,Hanoi plan\n"
        "RETAIL_SALES,01,2026-W03,at_least,1000,Hanoi plan\n"
    )
    with open_client(store) as client:
        refused = client.post(
            f"{TARGETS}/load", content=body.encode(), headers={"Content-Type": "text/csv"}
        )
        listed = client.get(TARGETS)

    assert [(e["row"], e["field"]) for e in row_errors(refused)] == [(2, "period")]
    assert listed.json()["items"] == []


def test_a_yaml_load_stores_its_targets(store):
    body = "- {indicator: CPI_AVG_GROWTH, area: VN, period: 2027, comparator: at_most, low: 4}\n"
    with open_client(store) as client:
        loaded = client.post(
            f"{TARGETS}/load", content=body.encode(), headers={"Content-Type": "application/yaml"}
        )

    assert loaded.status_code == 201, loaded.text
    assert len(loaded.json()["created"]) == 1


def test_new_thresholds_change_the_status_of_targets_at_once(store):
    with open_client(store) as client:
        swings = [101, 97, 104, 99, 106, 100]
        rows = [
            observation("RETAIL_SALES", "01", f"2024-M{m:02d}", swings[m - 1]) for m in range(1, 7)
        ]
        receipt_of(write_json(client, *rows))
        target = client.post(TARGETS, json=HANOI_RETAIL_2024 | {"low": "1240"}).json()
        changed = client.put(
            f"{TARGETS}/thresholds", json={"on_track_from": "0.01", "off_track_below": "0.005"}
        )
        after = client.get(f"{TARGETS}/{target['id']}").json()

    assert target["status"] in ("at_risk", "off_track")
    assert changed.status_code == 200, changed.text
    assert after["status"] == "on_track"


def test_a_threshold_finer_than_a_hundredth_of_a_percent_is_refused_by_name(store):
    with open_client(store) as client:
        refused = client.put(
            f"{TARGETS}/thresholds",
            json={"on_track_from": "0.25", "off_track_below": 2.2191787954466616e-263},
        )
        kept = client.put(
            f"{TARGETS}/thresholds", json={"on_track_from": "0.6", "off_track_below": "0.25"}
        )

    problem = assert_problem(refused, 400, "invalid-request")
    assert "off_track_below" in problem["detail"]
    assert kept.json() == {"on_track_from": "0.6", "off_track_below": "0.25"}


def test_a_viewer_reads_targets_but_cannot_record_one(store):
    token = person_token(store, "viewer.one", role=Role.VIEWER)
    with open_client(store) as client:
        read = client.get(TARGETS, headers=bearer(token))
        write = client.post(TARGETS, json=HANOI_RETAIL_2024, headers=bearer(token))

    assert read.status_code == 200
    assert_problem(write, 403, "forbidden")


def test_a_target_on_a_restricted_indicator_is_hidden_from_a_public_reader(store):
    token = person_token(store, "viewer.three", role=Role.VIEWER)
    restricted = HANOI_RETAIL_2024 | {
        "indicator": "BUDGET_REVENUE_DRAFT_ESTIMATE",
        "area": "VN",
        "source": "Draft estimate",
    }
    with open_client(store) as client:
        created = client.post(TARGETS, json=restricted).json()
        listed = client.get(TARGETS, headers=bearer(token)).json()["items"]
        detail = client.get(f"{TARGETS}/{created['id']}", headers=bearer(token))

    assert listed == []
    assert_problem(detail, 404, "not-found")
