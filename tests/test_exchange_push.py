"""Deliveries pushed into a flow by its provider: receipts, refusals, rules, limits, replay."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from api_helpers import assert_problem, bearer, open_client, stored_points
from conftest import Store
from govops.cli import app as cli_app
from govops.core.db import transaction
from govops.core.settings import get_settings
from govops.datastore.models import Observation, RawPayload
from govops.exchange import inbound
from govops.exchange.formats import XLSX
from govops.exchange.models import Inbound, PayloadPiece
from govops.exchange.registry import FlowRules, RangeRule, get_flow
from test_exchange_support import CSV, agency_key, budget_csv, register_flow, served

DELIVERIES = "/api/v1/exchange/flows/MOF-BUDGET/deliveries"


@pytest.fixture
def provider(store: Store) -> Iterator[dict[str, str]]:
    register_flow(store)
    yield bearer(agency_key(store, "MOF"))


def post(client: Any, body: bytes, headers: dict[str, str], **extra: str) -> httpx.Response:
    response: httpx.Response = client.post(DELIVERIES, content=body, headers={**headers, **extra})
    return response


def deliveries(store: Store) -> list[Inbound]:
    with store.session() as session:
        return list(session.scalars(select(Inbound).order_by(Inbound.id)))


def observation_count(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Observation)) or 0)


def test_a_provider_posts_a_csv_and_gets_a_receipt_at_once(
    store: Store, provider: dict[str, str]
) -> None:
    body = budget_csv("BUDGET_REVENUE,VN,2025-M03,180500", "BUDGET_SPENDING,VN,2025-M03,150200")
    with open_client(store) as client:
        response = post(client, body, {**provider, **CSV})
        stored = stored_points(client, "BUDGET_REVENUE", "VN", "2025-M03", "2025-M03")

    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["status"] == "accepted"
    assert (receipt["rows"], receipt["accepted"], receipt["refused"]) == (2, 2, 0)
    assert receipt["refused_rows"] == []
    assert response.headers["location"] == f"/api/v1/exchange/deliveries/{receipt['delivery']}"
    assert stored == [("2025-M03", 180500, "A")]


def test_json_and_xlsx_bodies_are_read_like_csv(store: Store, provider: dict[str, str]) -> None:
    document = {
        "observations": [
            {"indicator": "BUDGET_REVENUE", "area": "VN", "period": "2025-M04", "value": 170000}
        ]
    }
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["indicator", "area", "period", "value"])
    sheet.append(["BUDGET_SPENDING", "VN", "2025-M04", 149250.5])
    workbook = io.BytesIO()
    book.save(workbook)
    with open_client(store) as client:
        as_json = client.post(DELIVERIES, json=document, headers=provider)
        as_xlsx = post(client, workbook.getvalue(), {**provider, "Content-Type": XLSX})
        spending = stored_points(client, "BUDGET_SPENDING", "VN", "2025-M04", "2025-M04")

    assert as_json.status_code == 201, as_json.text
    assert as_xlsx.status_code == 201, as_xlsx.text
    assert spending == [("2025-M04", 149250.5, "A")]


def test_a_key_of_another_agency_is_refused_and_nothing_is_kept(store: Store) -> None:
    register_flow(store)
    other = bearer(agency_key(store, "SBV"))
    with open_client(store) as client:
        response = post(client, budget_csv("BUDGET_REVENUE,VN,2025-M03,1"), {**other, **CSV})
        missing = client.post(
            DELIVERIES,
            content=budget_csv("BUDGET_REVENUE,VN,2025-M03,1"),
            headers={**CSV, "Authorization": ""},
        )

    problem = assert_problem(response, 403, "forbidden")
    assert "provider" in problem["detail"]
    assert missing.status_code == 401
    assert deliveries(store) == []


def test_a_wrong_key_is_refused_and_nothing_is_kept(store: Store) -> None:
    register_flow(store)
    body = budget_csv("BUDGET_REVENUE,VN,2025-M03,1")
    with open_client(store) as client:
        unknown = post(client, body, {**CSV, "Authorization": "Bearer gvk_not-a-key-at-all"})
        not_bearer = post(client, body, {**CSV, "Authorization": "Basic bW9mOnNlY3JldA=="})

    assert unknown.status_code == 401
    assert not_bearer.status_code == 401
    assert deliveries(store) == []


def test_a_providers_key_is_good_for_its_own_flow_only(store: Store) -> None:
    register_flow(store)
    register_flow(
        store,
        code="SBV-CREDIT",
        provider="SBV",
        indicators=["CREDIT_OUTSTANDING"],
        name_en="Outstanding credit",
    )
    state_bank = bearer(agency_key(store, "SBV"))
    with open_client(store) as client:
        other_flow = post(
            client, budget_csv("BUDGET_REVENUE,VN,2025-M03,180500"), {**state_bank, **CSV}
        )
        own_flow = client.post(
            "/api/v1/exchange/flows/SBV-CREDIT/deliveries",
            content=budget_csv("CREDIT_OUTSTANDING,VN,2025-M03,16500000"),
            headers={**state_bank, **CSV},
        )

    problem = assert_problem(other_flow, 403, "forbidden")
    assert "MOF-BUDGET" in problem["detail"] and "provider" in problem["detail"]
    assert own_flow.status_code == 201, own_flow.text
    [kept] = deliveries(store)
    assert kept.id == own_flow.json()["delivery"]


def test_a_row_for_a_province_merged_in_2025_is_refused_naming_what_it_became(
    store: Store,
) -> None:
    register_flow(store, validation_mode="lenient")
    provider = bearer(agency_key(store, "MOF"))
    body = budget_csv(
        "BUDGET_REVENUE,02,2025-M05,1200",  # Hà Giang, before the merger
        "BUDGET_REVENUE,02,2025-M09,1300",  # Hà Giang no longer exists
        "BUDGET_REVENUE,08,2025-M09,5400",  # Tuyên Quang, which took it over
    )
    with open_client(store) as client:
        response = post(client, body, {**provider, **CSV})

    assert response.status_code == 201, response.text
    receipt = response.json()
    assert (receipt["status"], receipt["accepted"], receipt["refused"]) == ("partial", 2, 1)
    [refused] = receipt["refused_rows"]
    assert (refused["row"], refused["field"], refused["value"]) == (2, "area", "02")
    assert "was not valid on 2025-09-30" in refused["reason"]
    assert "became part of 08" in refused["reason"]
    assert observation_count(store) == 2


def test_a_retry_with_the_same_idempotency_key_gets_the_same_receipt(
    store: Store, provider: dict[str, str]
) -> None:
    body = budget_csv("BUDGET_REVENUE,VN,2025-M03,180500")
    key = {"Idempotency-Key": "mof-2025-03-run-1"}
    with open_client(store) as client:
        first = post(client, body, {**provider, **CSV, **key})
        retry = post(client, body, {**provider, **CSV, **key})
        changed = post(
            client, budget_csv("BUDGET_REVENUE,VN,2025-M03,1"), {**provider, **CSV, **key}
        )

    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    problem = assert_problem(changed, 422, "idempotency-key-reused")
    assert problem["delivery"] == first.json()["delivery"]
    assert len(deliveries(store)) == 1


def test_a_strict_flow_refuses_the_whole_delivery_and_names_every_bad_row(
    store: Store, provider: dict[str, str]
) -> None:
    body = budget_csv(
        "BUDGET_REVENUE,VN,2025-M08,180500",
        "BUDGET_REVENUE,02,2025-M08,1200",
        "BUDGET_SPENDING,VN,2025-M13,abc",
    )
    with open_client(store) as client:
        response = post(client, body, {**provider, **CSV})

    problem = assert_problem(response, 422, "delivery-rejected")
    refused = {(e["row"], e["field"]) for e in problem["errors"]}
    assert refused == {(2, "area"), (3, "period"), (3, "value")}
    assert problem["receipt"]["accepted"] == 0
    assert problem["receipt"]["refused"] == 3
    assert observation_count(store) == 0
    [kept] = deliveries(store)
    assert kept.status == "rejected"
    with store.session() as session:
        payload = session.get(RawPayload, kept.payload_digest)
        assert payload is not None and payload.content == body


def test_a_lenient_flow_stores_the_valid_rows_and_lists_the_refused_ones(store: Store) -> None:
    register_flow(store, validation_mode="lenient")
    key = bearer(agency_key(store, "MOF"))
    body = budget_csv("BUDGET_REVENUE,VN,2025-M08,180500", "BUDGET_REVENUE,02,2025-M08,1200")
    with open_client(store) as client:
        response = post(client, body, {**key, **CSV})

    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["status"] == "partial"
    assert (receipt["accepted"], receipt["refused"]) == (1, 1)
    [error] = receipt["refused_rows"]
    assert (error["row"], error["field"], error["value"]) == (2, "area", "02")
    assert observation_count(store) == 1


def test_the_flows_rules_refuse_out_of_range_values_and_provinces_not_adding_up(
    store: Store,
) -> None:
    rules = {
        "ranges": {"BUDGET_SPENDING": {"min": 0}},
        "sum_to_national": ["BUDGET_REVENUE"],
        "sum_tolerance": 0.01,
    }
    register_flow(store, validation_mode="lenient", rules=rules)
    key = bearer(agency_key(store, "MOF"))
    body = budget_csv(
        "BUDGET_REVENUE,01,2025-M08,60000",
        "BUDGET_REVENUE,79,2025-M08,70000",
        "BUDGET_REVENUE,VN,2025-M08,180500",
        "BUDGET_SPENDING,VN,2025-M08,-5",
    )
    with open_client(store) as client:
        receipt = post(client, body, {**key, **CSV}).json()

    refused = {e["row"]: e["reason"] for e in receipt["refused_rows"]}
    assert set(refused) == {3, 4}
    assert "add up to 130000" in refused[3]
    assert "minimum 0" in refused[4]
    assert receipt["accepted"] == 2


def test_a_sudden_jump_is_stored_with_a_warning(store: Store) -> None:
    register_flow(store, rules={"jump_warning": 0.5})
    key = bearer(agency_key(store, "MOF"))
    with open_client(store) as client:
        post(client, budget_csv("BUDGET_REVENUE,VN,2025-M07,180000"), {**key, **CSV})
        response = post(client, budget_csv("BUDGET_REVENUE,VN,2025-M08,400000"), {**key, **CSV})

    assert response.status_code == 201, response.text
    [warning] = response.json()["warnings"]
    assert warning["row"] == 1 and "+122.2%" in warning["reason"]
    assert observation_count(store) == 2


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/csv", b"PK\x03\x04not really a workbook", "binary"),
        ("application/json", b"indicator,area,period,value\n", "does not start"),
        (XLSX, b"indicator,area,period,value\n", "not one"),
        ("text/plain", b"indicator,area,period,value\n", "not one this hub reads"),
    ],
    ids=["xlsx sent as csv", "csv sent as json", "csv sent as xlsx", "unknown type"],
)
def test_a_body_that_is_not_what_its_content_type_says_is_refused(
    store: Store, provider: dict[str, str], content_type: str, body: bytes, expected: str
) -> None:
    with open_client(store) as client:
        response = post(client, body, {**provider, "Content-Type": content_type})

    problem = assert_problem(response, 415, "unsupported-media-type")
    assert expected in problem["detail"]
    assert deliveries(store) == []


def test_a_50_mb_body_is_refused_with_413_before_anything_is_kept(
    store: Store, provider: dict[str, str]
) -> None:
    line = b"BUDGET_REVENUE,VN,2025-M03,180500\n"
    body = b"indicator,area,period,value\n" + line * (50 * 1024 * 1024 // len(line) + 1)
    with open_client(store) as client:
        response = post(client, body, {**provider, **CSV})

    problem = assert_problem(response, 413, "payload-too-large")
    assert problem["limit"] == 48 * 1024 * 1024
    assert deliveries(store) == []


def test_a_body_passing_the_limit_without_a_declared_length_is_refused(
    store: Store, provider: dict[str, str]
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"indicator,area,period,value\n"
        for _ in range(200):
            yield b"BUDGET_REVENUE,VN,2025-M03,180500\n"

    with open_client(store) as client:
        client.app.state.exchange_max_body = 1000  # type: ignore[attr-defined]
        response = client.post(DELIVERIES, content=chunks(), headers={**provider, **CSV})

    assert_problem(response, 413, "payload-too-large")
    assert deliveries(store) == []


def large_delivery(*extra: str) -> bytes:
    """Revenue and spending of the nation for every month of 2015 to 2025 (264 rows)."""
    lines = [
        f"{indicator},VN,{year}-M{month:02d},{year * 100 + month}"
        for year in range(2015, 2026)
        for month in range(1, 13)
        for indicator in ("BUDGET_REVENUE", "BUDGET_SPENDING")
    ]
    return budget_csv(*lines, *extra)


@pytest.fixture
def small_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a few kilobytes count as a large delivery, to go the bulk way in a test."""
    monkeypatch.setattr(inbound, "BULK_BYTES", 2048)
    monkeypatch.setattr(inbound, "PIECE_BYTES", 1000)


def test_a_large_csv_is_kept_in_pieces_exactly_and_stored_whole(
    store: Store, provider: dict[str, str], small_bulk: None
) -> None:
    body = large_delivery()
    with open_client(store) as client:
        response = post(client, body, {**provider, **CSV})

    assert response.status_code == 201, response.text
    receipt = response.json()
    assert (receipt["status"], receipt["rows"], receipt["accepted"]) == ("accepted", 264, 264)
    assert observation_count(store) == 264
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    with store.session() as session:
        pieces = list(
            session.scalars(
                select(PayloadPiece).where(PayloadPiece.digest == digest).order_by("seq")
            )
        )
        whole = session.get(RawPayload, digest)
    assert len(pieces) == -(-len(body) // 1000)
    assert b"".join(piece.content for piece in pieces) == body
    assert whole is None  # never held whole
    [again] = inbound.replay(store.sessions, delivery_ids=[receipt["delivery"]])
    assert (again.status, again.accepted_count) == ("accepted", 264)


def test_a_large_csv_with_a_row_outside_the_flow_is_refused_whole(
    store: Store, provider: dict[str, str], small_bulk: None
) -> None:
    body = large_delivery("CPI,VN,2025-M03,103.2")
    with open_client(store) as client:
        response = post(client, body, {**provider, **CSV})

    problem = assert_problem(response, 422, "delivery-rejected")
    [error] = problem["errors"]
    assert (error["row"], error["field"], error["value"]) == (265, "indicator", "CPI")
    assert observation_count(store) == 0


def test_many_rows_in_a_small_csv_go_the_bulk_way_and_json_is_capped(
    store: Store, provider: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbound, "BULK_ROWS", 100)
    document = {
        "observations": [
            {"indicator": "BUDGET_REVENUE", "area": "VN", "period": f"2024-M{m:02d}", "value": m}
            for m in range(1, 13)
        ]
        * 10
    }
    with open_client(store) as client:
        as_csv = post(client, large_delivery(), {**provider, **CSV})
        as_json = client.post(DELIVERIES, json=document, headers=provider)

    assert as_csv.status_code == 201, as_csv.text
    assert as_csv.json()["accepted"] == 264
    problem = assert_problem(as_json, 422, "delivery-rejected")
    assert "120 rows; at most 100" in problem["errors"][0]["reason"]
    assert "CSV" in problem["errors"][0]["reason"]
    assert observation_count(store) == 264


def test_a_truncated_upload_keeps_nothing(store: Store, provider: dict[str, str]) -> None:
    body = budget_csv(*["BUDGET_REVENUE,VN,2025-M03,180500"] * 100)
    with served(store) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as connection:
            head = (
                f"POST {DELIVERIES} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: {provider['Authorization']}\r\nContent-Type: text/csv\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            connection.sendall(head.encode() + body[: len(body) // 2])
            time.sleep(0.3)
        time.sleep(0.5)
        health = httpx.get(f"{url}/health")

    assert health.status_code == 200
    assert deliveries(store) == []


def test_replay_reprocesses_a_refused_payload_after_the_rules_are_fixed(
    store: Store, provider: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(store.sessions) as session:
        flow = get_flow(session, "MOF-BUDGET")
        flow.rules = FlowRules(ranges={"BUDGET_REVENUE": RangeRule(max=100000)}).model_dump_json()
    with open_client(store) as client:
        refused = post(
            client, budget_csv("BUDGET_REVENUE,VN,2025-M03,180500"), {**provider, **CSV}
        )
    assert refused.status_code == 422
    with transaction(store.sessions) as session:
        get_flow(session, "MOF-BUDGET").rules = "{}"

    monkeypatch.setenv("GOVOPS_DATABASE_URL", store.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["exchange", "replay", "--flow", "MOF-BUDGET"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert "1 deliveries replayed" in result.output
    first, again = deliveries(store)
    assert (first.status, again.status) == ("rejected", "accepted")
    assert again.payload_digest == first.payload_digest
    assert json.loads(again.receipt or "{}")["accepted"] == 1
    assert observation_count(store) == 1
