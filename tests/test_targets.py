"""Plan targets: recording them, refusing impossible ones, and the status they follow to."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.progress import Progress
from sqlalchemy import select

from govops.core.db import transaction
from govops.core.errors import Conflict, InvalidRequest, RejectedBatch
from govops.datastore.writes import store_observations
from govops.forecasting.service import forecast_series
from govops.security import audit
from govops.security.models import AuditEntry
from govops.targets.assessment import Status, assess_target
from govops.targets.demo import build_targets_demo
from govops.targets.files import national_targets, read_targets_file, read_targets_text
from govops.targets.models import Target
from govops.targets.service import (
    MAX_ROWS_PER_LOAD,
    TargetError,
    TargetSpec,
    create_target,
    list_targets,
    load_targets,
    set_thresholds,
)
from tests.factories import payload, row

BY = audit.COMMAND_LINE


def write(store, *rows):
    with transaction(store.sessions) as session:
        return store_observations(session, list(rows), payload())


def monthly(indicator: str, area: str, values: dict[str, float]) -> list:
    return [
        row(n, indicator=indicator, area=area, period=period, value=str(value))
        for n, (period, value) in enumerate(values.items(), start=1)
    ]


def months(year: int, values: list[float]) -> dict[str, float]:
    return {f"{year}-M{m:02d}": value for m, value in enumerate(values, start=1)}


def spec(**fields: str) -> TargetSpec:
    defaults = {
        "indicator": "RETAIL_SALES",
        "area": "01",
        "period": "2026",
        "comparator": "at_least",
        "low": "1000",
        "source": "Resolution of the Hanoi People's Council on the 2026 plan",
        "source_kind": "provincial_plan",
    }
    return TargetSpec(**{**defaults, **fields})  # type: ignore[arg-type]


def create(store, **fields: str) -> int:
    with transaction(store.sessions) as session:
        return create_target(session, spec(**fields), by=BY).id


def assess(store, target_id: int):
    with store.session() as session:
        return assess_target(session, session.get_one(Target, target_id))


def refusal(store, **fields: str) -> TargetError:
    with pytest.raises(TargetError) as caught, transaction(store.sessions) as session:
        create_target(session, spec(**fields), by=BY)
    return caught.value


# --- recording ---------------------------------------------------------------------------


def test_the_national_assemblys_targets_load_and_the_supplementary_resolution_replaces_one(
    store,
):
    with transaction(store.sessions) as session:
        report = load_targets(session, national_targets(), by=BY)

    with store.session() as session:
        current = list_targets(session, indicator="GDP_GROWTH_A", year=2025)
        every = list_targets(session, indicator="GDP_GROWTH_A", include_superseded=True)
        all_current = list_targets(session)
    assert len(report.created) == 17
    assert [(t.comparator, t.low, t.source) for t in current] == [
        ("at_least", Decimal("8"), "Resolution 192/2025/QH15")
    ]
    assert len(every) == 3
    assert len(all_current) == 16


def test_loading_the_same_file_twice_adds_nothing(store):
    with transaction(store.sessions) as session:
        load_targets(session, national_targets(), by=BY)
    with transaction(store.sessions) as session:
        again = load_targets(session, national_targets(), by=BY)

    assert (again.created, again.unchanged) == ([], 17)


def test_a_yearly_target_on_a_rate_that_is_not_combined_over_quarters_is_refused(store):
    error = refusal(store, indicator="GDP_GROWTH_Q", area="VN", period="2026")

    assert error.field == "period"
    assert "GDP_GROWTH_Q is quarterly" in error.detail
    assert "time rule 'none'" in error.detail


def test_a_monthly_target_on_a_yearly_indicator_is_refused(store):
    error = refusal(store, indicator="GDP_PER_CAPITA", area="VN", period="2026-M03")

    assert error.field == "period"
    assert "no value for the shorter period 2026-M03" in error.detail


def test_a_daily_indicator_that_adds_up_can_carry_a_yearly_target(store):
    target_id = create(store, indicator="POWER_DEMAND", area="VN", period="2026")

    assert target_id > 0


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"comparator": "about"}, "tolerance", "needs a tolerance"),
        ({"comparator": "between", "high": "900"}, "high", "at least as large as low"),
        ({"comparator": "more or less"}, "comparator", "at_least, at_most, between, about"),
        ({"low": "1.000,5"}, "low", "not a number"),
        ({"area": "99"}, "area", "'99' does not exist"),
        ({"indicator": "NO_SUCH"}, "indicator", "not in the catalogue"),
        ({"basis": "ratio"}, "basis", "level, growth, change, reduction"),
    ],
)
def test_a_target_with_a_wrong_field_is_refused_naming_the_field(store, fields, field, words):
    error = refusal(store, **fields)

    assert error.field == field
    assert words in error.detail


def test_the_same_target_from_the_same_source_with_other_figures_is_a_conflict(store):
    create(store, low="1000")

    with pytest.raises(Conflict, match="already sets RETAIL_SALES"):
        create(store, low="1200")


def test_a_file_with_bad_rows_names_each_and_stores_nothing(store, tmp_path: Path):
    path = tmp_path / "hanoi.csv"
    path.write_text(
        "indicator,area,period,comparator,low,high,tolerance,source\n"
        "RETAIL_SALES,01,2026,at_least,1000,,,Hanoi plan\n"
        "GDP_GROWTH_Q,VN,2026,at_least,8,,,Hanoi plan\n"
        "RETAIL_SALES,01,2026,about,1000,,,Other plan\n",
        encoding="utf-8",
    )

    with pytest.raises(RejectedBatch) as caught, transaction(store.sessions) as session:
        load_targets(session, read_targets_file(path), by=BY)

    assert [(e.row, e.field) for e in caught.value.row_errors.errors] == [
        (2, "period"),
        (3, "tolerance"),
    ]
    with store.session() as session:
        assert list_targets(session) == []


def test_a_yaml_file_of_provincial_targets_loads(store, tmp_path: Path):
    path = tmp_path / "targets.yaml"
    path.write_text(
        "targets:\n"
        "  - {indicator: RETAIL_SALES, area: '79', period: 2026, comparator: at_least,\n"
        "     low: 1200000, source: Ho Chi Minh City plan 2026, source_kind: provincial_plan}\n",
        encoding="utf-8",
    )

    with transaction(store.sessions) as session:
        report = load_targets(session, read_targets_file(path), by=BY)
    with store.session() as session:
        entries = session.scalars(select(AuditEntry.action)).all()

    assert len(report.created) == 1
    assert "target.create" in entries


def test_a_file_column_we_do_not_know_is_named(tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_text("indicator,area,period,comparator,low,colour\nCPI,VN,2026,at_most,1,red\n")

    with pytest.raises(RejectedBatch) as caught:
        read_targets_file(path)

    assert caught.value.row_errors.errors[0].field == "colour"


# --- status ------------------------------------------------------------------------------


def test_a_complete_year_is_achieved_or_missed_by_its_exact_value(store):
    write(store, *monthly("RETAIL_SALES", "01", months(2024, [100.0] * 12)))
    met = create(store, period="2024", low="1200")
    short = create(store, period="2024", low="1200.01", source="a stricter plan")

    achieved, missed = assess(store, met), assess(store, short)

    assert (achieved.status, achieved.value) == (Status.ACHIEVED, Decimal("1200.0"))
    assert missed.status is Status.MISSED


def test_a_year_under_way_gets_a_probability_and_a_status_from_it(store):
    history = months(2024, [100.0 + m for m in range(12)]) | months(
        2025, [105.0 + m for m in range(12)]
    )
    so_far = months(2026, [110.0 + m for m in range(10)])  # January to October
    write(store, *monthly("RETAIL_SALES", "01", history | so_far))
    easy = create(store, low="1300", source="a modest plan")
    hard = create(store, low="1500", source="an ambitious plan")

    likely, unlikely = assess(store, easy), assess(store, hard)

    assert likely.status is Status.ON_TRACK
    assert likely.probability is not None and likely.probability > 0.99
    assert unlikely.status is Status.OFF_TRACK
    assert (likely.known_parts, likely.parts) == (10, 12)
    # Seasonal naive with drift: Nov and Dec a year earlier plus the mean yearly change.
    assert likely.expected == pytest.approx(sum(so_far.values()) + 115 + 116 + 2 * 5)
    assert "seasonal naive" in (likely.method or "")


def test_an_administrator_moves_the_thresholds_and_the_status_follows(store):
    swings = [99.0, 103.0, 97.0, 101.0, 104.0, 96.0]
    write(store, *monthly("RETAIL_SALES", "01", months(2025, swings * 2) | months(2026, swings)))
    expected = assess(store, create(store, low="1200")).expected
    target_id = create(store, low=f"{expected:.0f}", source="a plan near the forecast")
    before = assess(store, target_id)
    assert before.probability is not None and 0.3 < before.probability < 0.7

    with transaction(store.sessions) as session:
        set_thresholds(
            session, on_track_from=Decimal("0.2"), off_track_below=Decimal("0.1"), by=BY
        )

    assert before.status is Status.AT_RISK
    assert assess(store, target_id).status is Status.ON_TRACK


def test_average_inflation_is_judged_against_last_years_average(store):
    write(
        store,
        *monthly("CPI", "VN", months(2025, [100.0] * 12) | months(2026, [104.0] * 12)),
    )
    target_id = create(
        store,
        indicator="CPI",
        area="VN",
        comparator="at_most",
        low="4.5",
        basis="growth",
        source="test plan",
    )

    judged = assess(store, target_id)

    assert judged.status is Status.ACHIEVED
    assert judged.value == Decimal("4")


def test_a_target_without_any_data_is_unknown_and_says_why(store):
    target_id = create(store)

    judged = assess(store, target_id)

    assert judged.status is Status.UNKNOWN
    assert judged.reason == "no actuals to forecast from"


def test_a_stored_forecast_of_the_series_gives_the_remaining_months(store):
    seasonal = [90.0, 80.0, 100.0, 100.0, 105.0, 103.0, 104.0, 106.0, 104.0, 108.0, 110.0, 120.0]
    history = {}
    for year in (2022, 2023, 2024, 2025):
        history |= months(year, [value + 3 * (year - 2022) for value in seasonal])
    write(store, *monthly("RETAIL_SALES", "01", history | months(2026, seasonal[:6])))
    with transaction(store.sessions) as session:
        forecast = forecast_series(session, indicator="RETAIL_SALES", area="01")
    target_id = create(store, low="1200")

    judged = assess(store, target_id)

    assert judged.method is not None and f"forecast {forecast.id}" in judged.method
    assert judged.expected == pytest.approx(
        sum(seasonal[:6]) + sum(p.mean for p in forecast.points[:6]), rel=0.01
    )
    assert judged.probability is not None and 0 < judged.probability < 1


def test_the_demo_adds_national_and_provincial_targets_the_same_way_every_time(store):
    as_of = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    with transaction(store.sessions) as session, Progress(disable=True) as progress:
        build_targets_demo(session, as_of, progress)
    with transaction(store.sessions) as session, Progress(disable=True) as progress:
        build_targets_demo(session, as_of, progress)

    with store.session() as session:
        provincial = list_targets(session, area="79", year=2026)
        every = list_targets(session)
    assert len(every) == 16 + 7
    assert [(t.basis, t.comparator, t.low, t.high) for t in provincial] == [
        ("growth", "at_least", Decimal("12"), None),
        ("growth", "between", Decimal("10"), Decimal("12")),
    ]


def test_a_load_over_the_row_limit_is_refused_before_any_row_is_read(store):
    specs = [(n, spec()) for n in range(1, MAX_ROWS_PER_LOAD + 2)]

    with pytest.raises(InvalidRequest, match="the limit is 5000"), store.session() as session:
        load_targets(session, specs, by=BY)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=400), kind=st.sampled_from(["csv", "yaml"]))
def test_any_file_text_is_read_or_refused_with_a_clear_error(text: str, kind: str):
    try:
        specs = read_targets_text(text, kind, default_source="fuzz")
    except (InvalidRequest, RejectedBatch) as error:
        assert error.detail
    else:
        assert all(isinstance(number, int) for number, _ in specs)


def test_a_row_with_more_values_than_columns_is_named(tmp_path: Path):
    path = tmp_path / "targets.csv"
    path.write_text("indicator,area,period,comparator,low\nCPI,VN,2026,at_most,4,5\n")

    with pytest.raises(RejectedBatch) as caught:
        read_targets_file(path)

    assert caught.value.row_errors.errors[0].reason == (
        "has more values than the header has columns"
    )
