"""Warnings: what each check raises, one open warning per cause, acknowledging, tasks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from govops.alerts.models import EarlyWarning
from govops.alerts.service import (
    RuleSpec,
    TaskRequest,
    acknowledge,
    create_rule,
    evidence_of,
    list_warnings,
    run_checks,
    turn_into_task,
)
from govops.catalog.models import Agency
from govops.core.db import now_utc, transaction
from govops.core.errors import Conflict, InvalidRequest
from govops.datastore.writes import store_observations
from govops.forecasting.service import forecast_series
from govops.security import audit
from govops.security.models import AuditEntry
from govops.targets.service import TargetSpec, create_target
from govops.tasks.models import Task
from tests.factories import payload, row

BY = audit.COMMAND_LINE
TODAY = date(2025, 9, 10)  # August 2025 figures were due on 6 September


def write(store, indicator: str, area: str, values: dict[str, float]) -> None:
    rows = [
        row(n, indicator=indicator, area=area, period=period, value=str(value))
        for n, (period, value) in enumerate(values.items(), start=1)
    ]
    with transaction(store.sessions) as session:
        store_observations(session, rows, payload())


def months(first_year: int, values: list[float]) -> dict[str, float]:
    return {f"{first_year + k // 12}-M{k % 12 + 1:02d}": value for k, value in enumerate(values)}


def check(store, today: date = TODAY):
    with transaction(store.sessions) as session:
        return run_checks(session, today=today)


def inbox(store, **filters) -> list[EarlyWarning]:
    with store.session() as session:
        return list_warnings(session, **filters)


def rule(store, kind: str, **params) -> int:
    spec = RuleSpec(kind, f"{kind} on Hanoi retail", "RETAIL_SALES", "01", "severe", params)
    with transaction(store.sessions) as session:
        return create_rule(session, spec, today=TODAY, by=BY).id


def hanoi_target(store, low: str) -> int:
    spec = TargetSpec(
        indicator="RETAIL_SALES",
        area="01",
        period="2024",
        comparator="at_least",
        low=low,
        source="Hanoi plan 2024",
    )
    with transaction(store.sessions) as session:
        return create_target(session, spec, by=BY).id


# --- targets -----------------------------------------------------------------------------


def test_a_missed_target_raises_one_warning_that_later_checks_update_not_repeat(store):
    write(store, "RETAIL_SALES", "01", months(2024, [100.0] * 12))
    target_id = hanoi_target(store, "1300")

    first = check(store, date(2025, 3, 1))
    second = check(store, date(2025, 3, 2))

    [warning] = inbox(store, kind="target_at_risk")
    assert warning.id in first.raised and warning.id in second.updated
    assert warning.severity == "severe"
    assert warning.title_en.startswith("Target missed: Retail sales")
    evidence = evidence_of(warning)
    assert evidence["target"]["id"] == target_id
    assert evidence["value"] == "1200.0"
    assert evidence["chart"]["data"]


def test_a_warning_closes_itself_when_its_target_is_met_after_a_revision(store):
    write(store, "RETAIL_SALES", "01", months(2024, [100.0] * 12))
    hanoi_target(store, "1200.5")
    check(store, date(2025, 3, 1))

    write(store, "RETAIL_SALES", "01", {"2024-M12": 101.0})
    report = check(store, date(2025, 3, 2))

    assert len(report.closed) == 1
    assert inbox(store, kind="target_at_risk") == []
    assert [w.status for w in inbox(store, status=["closed"])] == ["closed"]


# --- late data ---------------------------------------------------------------------------


def test_figures_two_months_late_raise_a_moderate_warning_closed_when_they_arrive(store):
    write(store, "RETAIL_SALES", "01", months(2025, [100.0] * 6))  # to June

    check(store)
    [late] = inbox(store, kind="data_late")
    write(store, "RETAIL_SALES", "01", {"2025-M07": 100.0, "2025-M08": 100.0})
    after = check(store)

    assert late.severity == "moderate"
    assert late.cause == "late/RETAIL_SALES/2025-M08"
    assert evidence_of(late) | {"latest_period": "2025-M06", "periods_behind": 2} == (
        evidence_of(late)
    )
    assert after.closed == [late.id]


def test_an_indicator_that_never_had_data_is_not_called_late(store):
    check(store)

    assert inbox(store, kind="data_late") == []


# --- rules on a series -------------------------------------------------------------------


def test_a_value_above_a_threshold_raises_a_warning_with_the_numbers_and_a_chart(store):
    write(store, "RETAIL_SALES", "01", months(2025, [100.0, 101.0, 99.0, 130.0]))
    rule(store, "threshold", above=120)

    check(store, date(2025, 5, 10))

    [warning] = inbox(store, kind="threshold")
    evidence = evidence_of(warning)
    assert (evidence["value"], evidence["threshold"], evidence["side"]) == (130.0, 120.0, "above")
    assert warning.severity == "severe"
    assert evidence["chart"]["data"][0]["y"][-1] == 130.0


def test_a_jump_far_beyond_the_usual_monthly_change_is_a_sudden_change(store):
    calm = [100.0, 101.0, 100.5, 101.5, 100.0, 101.0, 100.5, 101.0, 100.0, 160.0]
    write(store, "RETAIL_SALES", "01", months(2024, calm))
    rule(store, "sudden_change", z=3)

    check(store, date(2024, 11, 10))

    [warning] = inbox(store, kind="sudden_change")
    assert evidence_of(warning)["z"] > 3
    assert warning.period_code == "2024-M10"


def test_an_ordinary_month_raises_no_sudden_change(store):
    write(store, "RETAIL_SALES", "01", months(2024, [100.0, 101.0, 100.5, 101.5, 100.0] * 2))
    rule(store, "sudden_change", z=3)

    check(store, date(2024, 11, 10))

    assert inbox(store, kind="sudden_change") == []


def test_a_value_far_outside_the_forecast_made_before_it_is_flagged(store):
    seasonal = [90.0, 80.0, 100.0, 100.0, 105.0, 103.0, 104.0, 106.0, 104.0, 108.0, 110.0, 120.0]
    history = [value + 2 * (k // 12) for k, value in enumerate(seasonal * 3)]
    write(store, "RETAIL_SALES", "01", months(2022, history))
    with transaction(store.sessions) as session:
        forecast_series(session, indicator="RETAIL_SALES", area="01")
    write(store, "RETAIL_SALES", "01", {"2025-M01": 400.0})
    rule(store, "outside_forecast", level=95)

    check(store, date(2025, 2, 10))

    [warning] = inbox(store, kind="outside_forecast")
    evidence = evidence_of(warning)
    assert evidence["value"] == 400.0
    assert evidence["forecast"]["high"] < 400.0


def test_a_rule_with_an_unknown_kind_or_no_threshold_is_refused(store):
    with pytest.raises(InvalidRequest, match="not one of"):
        rule(store, "colour_change")
    with pytest.raises(InvalidRequest, match="'above' or 'below'"):
        rule(store, "threshold")


# --- one open warning per cause ----------------------------------------------------------


def test_the_database_refuses_a_second_open_warning_of_one_cause(store):
    write(store, "RETAIL_SALES", "01", months(2025, [100.0] * 6))
    check(store)
    [late] = inbox(store, kind="data_late")

    with pytest.raises(IntegrityError), transaction(store.sessions) as session:
        copy = EarlyWarning(
            kind=late.kind,
            cause=late.cause,
            open_cause=late.cause,
            severity="minor",
            status="open",
            title_vi="x",
            title_en="x",
            evidence="{}",
            raised_at=now_utc(),
            last_seen_at=now_utc(),
        )
        session.add(copy)


# --- acknowledging and tasks -------------------------------------------------------------


def late_warning(store) -> int:
    write(store, "RETAIL_SALES", "01", months(2025, [100.0] * 6))
    check(store)
    return inbox(store, kind="data_late")[0].id


def test_an_acknowledged_warning_stays_the_one_warning_of_its_cause(store):
    warning_id = late_warning(store)

    with transaction(store.sessions) as session:
        acknowledge(session, warning_id, note="Đã gọi Cục Thống kê", by=BY)
    again = check(store)

    [warning] = inbox(store, kind="data_late")
    assert (warning.id, warning.status) == (warning_id, "acknowledged")
    assert warning.acknowledgement_note == "Đã gọi Cục Thống kê"
    assert again.updated == [warning_id]
    with store.session() as session:
        assert "warning.acknowledge" in session.scalars(select(AuditEntry.action)).all()


def test_a_warning_becomes_a_task_for_the_indicators_owner_with_its_evidence(store):
    warning_id = late_warning(store)

    with transaction(store.sessions) as session:
        turn_into_task(session, warning_id, TaskRequest(), today=TODAY, by=BY)

    with store.session() as session:
        warning = session.get_one(EarlyWarning, warning_id)
        task = session.get_one(Task, warning.task_id)
        assert session.get_one(Agency, task.lead_agency_id).code == "NSO"
    assert warning.status == "tasked"
    assert task.due_on == date(2025, 9, 24)
    assert "2025-M08" in task.title
    assert "periods_behind" in task.description


def test_a_warning_already_a_task_is_not_made_a_task_twice(store):
    warning_id = late_warning(store)
    with transaction(store.sessions) as session:
        turn_into_task(session, warning_id, TaskRequest(), today=TODAY, by=BY)

    with pytest.raises(Conflict, match="already task"), transaction(store.sessions) as session:
        turn_into_task(session, warning_id, TaskRequest(), today=TODAY, by=BY)
