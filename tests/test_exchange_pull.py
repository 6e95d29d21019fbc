"""Pull connectors against a real HTTP server on loopback standing in for an agency."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import Store
from govops.core.db import now_utc, transaction
from govops.exchange.addresses import allow_address
from govops.exchange.health import FlowState, flow_health
from govops.exchange.models import Inbound
from govops.exchange.pull import Fetcher, pull_flow, run_due_pulls
from govops.exchange.registry import get_flow
from test_exchange_support import Answer, Loopback, Received, budget_csv, register_flow

QUICK = Fetcher(timeout=0.5, retries=2, backoff=0.01)
SECRET = "Authorization: Bearer agency-secret-7731"
CSV_ANSWER = {"Content-Type": "text/csv", "ETag": '"v1"'}


@pytest.fixture
def agency() -> Iterator[Loopback]:
    with Loopback() as server:
        yield server


def pull_flow_at(store: Store, url: str) -> str:
    with transaction(store.sessions) as session:
        allow_address(session, "127.0.0.1", "the agency's stand-in in tests")
    return register_flow(
        store,
        code="HN-MONTHLY",
        provider="UBND-01",
        indicators=["BUDGET_REVENUE"],
        transport="pull",
        pull_url=f"{url}/bao-cao/ngan-sach.csv?token=abc",
        pull_secret_header=SECRET,
        validation_mode="strict",
    )


def deliveries(store: Store) -> list[Inbound]:
    with store.session() as session:
        return list(session.scalars(select(Inbound).order_by(Inbound.id)))


def test_a_pull_stores_the_data_then_asks_only_for_changes(store: Store, agency: Loopback) -> None:
    body = budget_csv("BUDGET_REVENUE,01,2025-M08,60000")

    def answer(request: Received) -> Answer:
        if request.headers.get("if-none-match") == '"v1"':
            return Answer(status=304, body=b"")
        return Answer(body=body, headers=CSV_ANSWER)

    agency.answer = answer
    code = pull_flow_at(store, agency.url)

    first = pull_flow(store.sessions, code, fetcher=QUICK)
    second = pull_flow(store.sessions, code, fetcher=QUICK)

    assert (first.outcome, second.outcome) == ("stored", "not modified")
    [delivery] = deliveries(store)
    assert (delivery.status, delivery.transport, delivery.accepted_count) == (
        "accepted",
        "pull",
        1,
    )
    assert agency.received[0].headers["authorization"] == "Bearer agency-secret-7731"
    assert agency.received[1].headers["if-none-match"] == '"v1"'


def test_a_failing_endpoint_is_retried_with_backoff_and_succeeds(
    store: Store, agency: Loopback
) -> None:
    answers = iter([Answer(status=503), Answer(status=502)])
    body = budget_csv("BUDGET_REVENUE,01,2025-M08,60000")
    agency.answer = lambda request: next(answers, Answer(body=body, headers=CSV_ANSWER))
    code = pull_flow_at(store, agency.url)
    slept: list[float] = []
    fetcher = Fetcher(timeout=0.5, retries=2, backoff=0.05, sleep=slept.append)

    result = pull_flow(store.sessions, code, fetcher=fetcher)

    assert result.outcome == "stored"
    assert len(agency.received) == 3
    assert len(slept) == 2 and 0 <= slept[0] <= 0.05 and 0 <= slept[1] <= 0.1


def test_a_slow_endpoint_times_out_and_the_failure_is_recorded(
    store: Store, agency: Loopback
) -> None:
    agency.answer = lambda request: Answer(delay=1.5)
    code = pull_flow_at(store, agency.url)

    result = pull_flow(store.sessions, code, fetcher=QUICK)

    assert result.outcome == "failed"
    assert "did not answer within 0.5 s, after 3 attempts" in result.detail
    with store.session() as session:
        flow = get_flow(session, code)
        assert flow.pull_failures == 1
        assert flow.pull_last_error == result.detail
    assert deliveries(store) == []


def test_a_malformed_answer_is_kept_and_refused_with_its_reason(
    store: Store, agency: Loopback
) -> None:
    agency.answer = lambda request: Answer(
        body=b'{"observations": [{"indicator": "BUDGET_REVENUE", "area": "01"',
        headers={"Content-Type": "application/json"},
    )
    code = pull_flow_at(store, agency.url)

    result = pull_flow(store.sessions, code, fetcher=QUICK)

    assert result.outcome == "refused"
    [delivery] = deliveries(store)
    assert delivery.status == "rejected"
    assert "not valid JSON" in (delivery.receipt or "")


def test_the_circuit_opens_after_repeated_failures_and_closes_after_the_cool_down(
    store: Store, agency: Loopback
) -> None:
    agency.answer = lambda request: Answer(status=500)
    code = pull_flow_at(store, agency.url)
    moment = now_utc()
    for _ in range(3):
        pull_flow(store.sessions, code, now=moment, fetcher=QUICK)
    tried = len(agency.received)

    skipped = pull_flow(store.sessions, code, now=moment + timedelta(minutes=1), fetcher=QUICK)
    tried_while_open = len(agency.received) - tried
    with store.session() as session:
        state = {h.flow: h.state for h in flow_health(session)}
    agency.answer = lambda request: Answer(
        body=budget_csv("BUDGET_REVENUE,01,2025-M08,60000"), headers=CSV_ANSWER
    )
    later = run_due_pulls(store.sessions, now=moment + timedelta(minutes=6), fetcher=QUICK)

    assert skipped.outcome == "circuit open"
    assert tried_while_open == 0
    assert state[code] is FlowState.FAILING
    assert [r.outcome for r in later] == ["stored"]


def test_a_loopback_endpoint_is_refused_unless_allowlisted(store: Store, agency: Loopback) -> None:
    code = register_flow(
        store,
        code="HN-MONTHLY",
        provider="UBND-01",
        indicators=["BUDGET_REVENUE"],
        transport="pull",
        pull_url=f"{agency.url}/data.csv",
    )

    result = pull_flow(store.sessions, code, fetcher=QUICK)

    assert result.outcome == "failed"
    assert "loopback" in result.detail and "allowlist" in result.detail
    assert agency.received == []


def test_credentials_stay_out_of_the_logs(
    store: Store, agency: Loopback, caplog: pytest.LogCaptureFixture
) -> None:
    agency.answer = lambda request: Answer(status=503)
    code = pull_flow_at(store, agency.url)

    with caplog.at_level(logging.INFO):
        pull_flow(store.sessions, code, fetcher=QUICK)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "ngan-sach.csv" in logged
    assert "agency-secret-7731" not in logged
    assert "token=abc" not in logged
