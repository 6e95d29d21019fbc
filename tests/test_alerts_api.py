"""The warnings API: the inbox, evidence, acknowledging, tasks and CAP, by permission."""

from __future__ import annotations

import capvalidator

from api_helpers import (
    assert_problem,
    bearer,
    observation,
    open_client,
    person_token,
    receipt_of,
    write_json,
)
from govops.security.permissions import Role

WARNINGS = "/api/v1/warnings"
RULES = "/api/v1/warning-rules"


def hanoi_retail_above_threshold(client) -> dict:
    values = [100, 101, 99, 130]
    rows = [
        observation("RETAIL_SALES", "01", f"2025-M{m:02d}", v) for m, v in enumerate(values, 1)
    ]
    receipt_of(write_json(client, *rows))
    rule = client.post(
        RULES,
        json={
            "kind": "threshold",
            "name": "Hanoi retail above 120",
            "indicator": "RETAIL_SALES",
            "area": "01",
            "severity": "severe",
            "params": {"above": 120},
        },
    )
    assert rule.status_code == 201, rule.text
    checked = client.post(f"{WARNINGS}/check")
    assert checked.status_code == 200, checked.text
    [warning] = client.get(WARNINGS, params={"kind": "threshold"}).json()["items"]
    return warning


def test_the_inbox_lists_a_warning_and_its_detail_carries_the_evidence_and_chart(store):
    with open_client(store) as client:
        warning = hanoi_retail_above_threshold(client)
        detail = client.get(f"{WARNINGS}/{warning['id']}").json()

    assert (warning["severity"], warning["status"]) == ("severe", "open")
    assert detail["evidence"]["threshold"] == 120.0
    assert detail["evidence"]["chart"]["data"][0]["x"][-1] == "2025-M04"


def test_acknowledging_a_warning_keeps_it_in_the_inbox_marked_seen(store):
    with open_client(store) as client:
        warning = hanoi_retail_above_threshold(client)
        acknowledged = client.post(
            f"{WARNINGS}/{warning['id']}/acknowledge", json={"note": "Đã xem"}
        )
        inbox = client.get(WARNINGS).json()["items"]

    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledgement_note"] == "Đã xem"
    assert [(w["id"], w["status"]) for w in inbox if w["kind"] == "threshold"] == [
        (warning["id"], "acknowledged")
    ]


def test_a_warning_becomes_a_task_for_the_named_agency(store):
    with open_client(store) as client:
        warning = hanoi_retail_above_threshold(client)
        tasked = client.post(
            f"{WARNINGS}/{warning['id']}/task",
            json={"lead_agency": "MOIT", "deadline": "2099-01-31", "note": "Báo cáo trước 31/1"},
        )

    assert tasked.status_code == 201, tasked.text
    assert tasked.json()["status"] == "tasked"
    assert tasked.json()["task_id"] is not None


def test_the_cap_export_is_a_valid_cap_alert(store):
    with open_client(store) as client:
        warning = hanoi_retail_above_threshold(client)
        response = client.get(f"{WARNINGS}/{warning['id']}/cap", params={"provinces": "01,79"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/cap+xml")
    assert capvalidator.check_schema(response.content).passed


def test_a_viewer_reads_the_inbox_but_cannot_acknowledge(store):
    token = person_token(store, "viewer.two", role=Role.VIEWER)
    with open_client(store) as client:
        warning = hanoi_retail_above_threshold(client)
        read = client.get(WARNINGS, headers=bearer(token))
        refused = client.post(
            f"{WARNINGS}/{warning['id']}/acknowledge", json={}, headers=bearer(token)
        )

    assert read.status_code == 200
    assert_problem(refused, 403, "forbidden")


def test_a_warning_that_does_not_exist_is_not_found(store):
    with open_client(store) as client:
        assert_problem(client.get(f"{WARNINGS}/999999"), 404, "not-found")
