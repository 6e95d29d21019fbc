"""The demo dataset: the same figures every build, provinces that add up to the nation,
series under the areas of their time, published figures as announced, and every value
traced to a submission that says whether it was published or generated."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.areas import area_at
from govops.catalog.models import Area, Indicator
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency, Period
from govops.datastore.analytics import DataQuery, run_query
from govops.datastore.coverage import coverage_report
from govops.datastore.models import Observation, Series, Submission
from govops.datastore.transforms import Transform
from govops.demo.build import GENERATED_SOURCE, PUBLISHED_SOURCE, build_demo, demo_is_loaded
from govops.demo.generate import DemoRow, RowMaker, demo_context, make_figures, published_rows
from govops.demo.published import parse_published_lines, read_published_figures
from govops.demo.seasons import SLOW_WORK, tet_day, tet_share
from tests.conftest import BACKENDS, Store, make_store

# 10:00 in Hà Nội on 10 March 2026: February 2026 is the latest month due.
AS_OF = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A store with the demo built once as of AS_OF, on each database."""
    folder = tmp_path_factory.mktemp(f"demo-{request.param}")
    store, drop = make_store(request.param, folder, reference=False)
    build_demo(store.sessions, Console(file=io.StringIO()), as_of=AS_OF)
    yield store
    store.engine.dispose()
    drop()  # type: ignore[operator]


def _generate(session: Session, as_of: datetime, codes: set[str]) -> list[DemoRow]:
    """The rows of some indicators as a build would make them, without storing them."""
    ctx = demo_context(session, as_of)
    made = make_figures(ctx)
    maker = RowMaker(ctx, made)
    published = [row for row in published_rows(ctx.published, as_of) if row.indicator in codes]
    return published + [row for code in sorted(codes) for row in maker.rows(made[code])]


def _values(
    session: Session,
    code: str,
    period: str,
    areas: tuple[str, ...],
    dims: tuple[tuple[str, str], ...] = (),
) -> dict[str, Decimal | None]:
    query = DataQuery(indicator=code, areas=areas, first=period, last=period, dims=dims)
    answer = run_query(session, query)
    return {
        series.area.code: series.points[0].value if series.points else None
        for series in answer.series
    }


# --- the same figures every time ------------------------------------------------------------

SAMPLE = {"RETAIL_SALES", "CPI", "POP", "UNEMPLOYMENT_RATE_Q", "GDP_GROWTH_Q", "POWER_DEMAND"}


@pytest.fixture(scope="module")
def regenerated(demo: Store) -> list[DemoRow]:
    """The sample's rows made again, in memory, as of the same instant."""
    with demo.session() as session:
        return _generate(session, AS_OF, SAMPLE)


def test_building_the_demo_again_gives_the_values_already_stored(
    demo: Store, regenerated: list[DemoRow]
) -> None:
    generated = {
        (
            row.indicator,
            row.area,
            Period.parse(row.period).start,
            row.recorded_at.astimezone(UTC),
            row.sex,
        ): (
            Decimal(row.value),
            row.status,
        )
        for row in regenerated
    }
    query = (
        select(
            Indicator.code,
            Area.code,
            Observation.period_start,
            Observation.recorded_at,
            Series.dims_key,
            Observation.value,
            Observation.status,
        )
        .join(Series, Series.id == Observation.series_id)
        .join(Indicator, Indicator.id == Series.indicator_id)
        .join(Area, Area.id == Series.area_id)
        .where(Indicator.code.in_(SAMPLE))
    )
    with demo.session() as session:
        stored = {
            (code, area, start, recorded_at, dims_key.removeprefix("SEX=")): (value, status)
            for code, area, start, recorded_at, dims_key, value, status in session.execute(query)
        }

    assert len(stored) > 20_000
    assert stored == generated


def test_a_later_build_keeps_every_value_an_earlier_build_had_revised(
    demo: Store, regenerated: list[DemoRow]
) -> None:
    with demo.session() as session:
        later = _generate(session, AS_OF + timedelta(days=250), SAMPLE)

    def latest(rows: list[DemoRow]) -> dict[tuple[str, str, str, str], tuple[str, str]]:
        found: dict[tuple[str, str, str, str], tuple[str, str]] = {}
        for row in sorted(rows, key=lambda r: r.recorded_at):
            found[(row.indicator, row.area, row.period, row.sex)] = (row.value, row.status)
        return found

    early, late = latest(regenerated), latest(later)
    settled = {key: value for key, value in early.items() if value[1] == "A"}
    dropped = {key for key in settled if key not in late}
    assert len(settled) > 10_000
    # Only days that fell out of the window of daily data are gone.
    assert {indicator for indicator, *_rest in dropped} == {"POWER_DEMAND"}
    assert {key: late[key] for key in settled if key not in dropped} == {
        key: value for key, value in settled.items() if key not in dropped
    }


# --- adding up, and the areas of each period ----------------------------------------------------


@pytest.mark.parametrize("month, provinces", [("2025-M06", 63), ("2025-M07", 34)])
def test_provinces_add_up_to_the_nation_before_and_after_the_merger(
    demo: Store, month: str, provinces: int
) -> None:
    with demo.session() as session:
        for code in ("RETAIL_SALES", "EXPORTS", "TRAFFIC_ACCIDENTS"):
            by_province = _values(session, code, month, ("provinces",))
            nation = _values(session, code, month, ("VN",))["VN"]

            assert len(by_province) == provinces
            assert sum(v for v in by_province.values() if v is not None) == nation


def test_men_and_women_add_up_to_the_total(demo: Store) -> None:
    with demo.session() as session:
        for code, period in (
            ("POP", "2024"),
            ("LABOUR_FORCE_Q", "2025-Q3"),
            ("EMPLOYED_Q", "2021-Q3"),
        ):
            for area in ("VN", "79"):
                by_sex = {
                    sex: _values(session, code, period, (area,), dims=(("SEX", sex),))[area]
                    for sex in ("_T", "M", "F")
                }
                assert by_sex["M"] + by_sex["F"] == by_sex["_T"]  # type: ignore[operator]


def test_series_before_july_2025_are_stored_under_the_provinces_of_the_time(demo: Store) -> None:
    with demo.session() as session:
        old_bac_ninh = area_at(session, "27", date(2025, 6, 30))
        old_bac_giang = area_at(session, "24", date(2025, 6, 30))
        new_bac_ninh = area_at(session, "24", date(2025, 7, 1))

        def stored_span(area: Area) -> tuple[date, date]:
            span = session.execute(
                select(func.min(Observation.period_start), func.max(Observation.period_start))
                .join(Series, Series.id == Observation.series_id)
                .join(Indicator, Indicator.id == Series.indicator_id)
                .where(Indicator.code == "RETAIL_SALES", Series.area_id == area.id)
            ).one()
            return span[0], span[1]

        assert stored_span(old_bac_ninh) == (date(2016, 1, 1), date(2025, 6, 1))
        assert stored_span(old_bac_giang) == (date(2016, 1, 1), date(2025, 6, 1))
        assert stored_span(new_bac_ninh) == (date(2025, 7, 1), date(2026, 2, 1))


# --- published figures ---------------------------------------------------------------------


def test_published_gdp_growth_reads_back_exactly_as_latest_and_as_first_announced(
    demo: Store,
) -> None:
    published = read_published_figures()
    latest = {
        year: published.latest("GDP_GROWTH_A", "VN", str(year)) for year in range(2010, 2026)
    }
    with demo.session() as session:
        answer = run_query(session, DataQuery(indicator="GDP_GROWTH_A", first="2010", last="2025"))
        before_revision = run_query(
            session,
            DataQuery(
                indicator="GDP_GROWTH_A",
                first="2019",
                last="2020",
                as_of=datetime(2021, 6, 1, tzinfo=UTC),
            ),
        )

    assert {p.period.start.year: p.value for p in answer.series[0].points} == latest
    assert [p.value for p in before_revision.series[0].points] == [
        Decimal("7.02"),
        Decimal("2.91"),
    ]
    assert latest[2019] == Decimal("7.36")


def test_the_annual_mean_of_the_monthly_cpi_grows_by_the_published_average_inflation(
    demo: Store,
) -> None:
    with demo.session() as session:
        months = run_query(session, DataQuery(indicator="CPI", first="2016-M01", last="2025-M12"))
        inflation = run_query(
            session, DataQuery(indicator="CPI_AVG_GROWTH", first="2017", last="2025")
        )
    by_year: dict[int, list[Decimal]] = {}
    for point in months.series[0].points:
        assert point.value is not None
        by_year.setdefault(point.period.start.year, []).append(point.value)
    mean = {year: sum(values, Decimal(0)) / len(values) for year, values in by_year.items()}

    for point in inflation.series[0].points:
        year = point.period.start.year
        growth = (mean[year] / mean[year - 1] - 1) * 100
        # The published rate has two decimals: the index reproduces it to that precision.
        assert abs(growth - point.value) <= Decimal("0.005"), (year, growth, point.value)  # type: ignore[operator]


def test_a_published_national_total_is_shared_out_over_the_provinces(demo: Store) -> None:
    with demo.session() as session:
        provinces = _values(session, "TRAFFIC_ACCIDENTS", "2025-M08", ("provinces",))
        nation = _values(session, "TRAFFIC_ACCIDENTS", "2025-M08", ("VN",))["VN"]

    assert nation == Decimal(1386)
    assert sum(v for v in provinces.values() if v is not None) == nation


def test_a_published_figures_line_that_is_not_a_number_is_refused_with_its_line(
    tmp_path: Path,
) -> None:
    lines = [
        "# a header line",
        "indicator,area,period,value,recorded_at,source,confidence",
        "GDP_GROWTH_A,VN,2019,seven,2020-01-06T09:00:00+07:00,press,high",
    ]
    with pytest.raises(InvalidRequest, match="line 3, value: 'seven' is not a number"):
        list(parse_published_lines(lines))


# --- the shape of the figures ------------------------------------------------------------------


def test_tet_in_january_pulls_january_production_down_and_february_up(demo: Store) -> None:
    with demo.session() as session:
        answer = run_query(
            session,
            DataQuery(
                indicator="IIP",
                first="2016-M01",
                last="2026-M02",
                transform=Transform.YEAR_ON_YEAR,
            ),
        )
    change = {p.period.code: p.value for p in answer.series[0].points}

    def tet_month(year: int) -> int:
        january = Period(Frequency.MONTHLY, date(year, 1, 1))
        return 1 if tet_share(january, SLOW_WORK) > 0.5 else 2

    for year in range(2017, 2027):
        if tet_month(year) == tet_month(year - 1):
            continue
        january, february = change[f"{year}-M01"], change[f"{year}-M02"]
        if tet_month(year) == 1:
            assert january < february, (year, tet_day(year))  # type: ignore[operator]
        else:
            assert january > february, (year, tet_day(year))  # type: ignore[operator]


def test_international_arrivals_are_near_zero_while_the_borders_were_shut(demo: Store) -> None:
    with demo.session() as session:
        answer = run_query(
            session, DataQuery(indicator="INTL_ARRIVALS", first="2019-M01", last="2022-M03")
        )
    value = {p.period: p.value for p in answer.series[0].points}
    shut = Period.span(Period.parse("2020-M04"), Period.parse("2022-M02"))

    for month in shut:
        normal = value[Period(Frequency.MONTHLY, date(2019, month.start.month, 1))]
        assert value[month] < normal / 50  # type: ignore[operator]


# --- coverage and traceability -----------------------------------------------------------------


def test_coverage_shows_the_national_statistics_group_at_or_above_its_target(demo: Store) -> None:
    with demo.session() as session:
        groups = {group.code: group for group in coverage_report(session, AS_OF.date())}

    assert groups["NSIS"].meets_target is True
    assert groups["NSIS"].share >= Decimal("0.8")


def test_every_demo_value_traces_to_a_submission_that_says_published_or_generated(
    demo: Store,
) -> None:
    with demo.session() as session:
        sources = dict(
            session.execute(
                select(Submission.source, func.count())
                .select_from(Observation)
                .join(Submission, Submission.id == Observation.submission_id)
                .group_by(Submission.source)
            ).all()
        )
        kinds = set(session.scalars(select(Submission.kind)))

    assert set(sources) == {PUBLISHED_SOURCE, GENERATED_SOURCE}
    assert sources[PUBLISHED_SOURCE] == len(read_published_figures().known_by(AS_OF))
    assert 150_000 < sources[GENERATED_SOURCE] < 400_000
    assert kinds == {"demo"}


def test_the_demo_is_loaded_only_where_it_was_built(demo: Store, tmp_path: Path) -> None:
    empty, drop = make_store(demo.backend, tmp_path, reference=False)
    try:
        with empty.session() as session:
            assert demo_is_loaded(session) is False
    finally:
        empty.engine.dispose()
        drop()  # type: ignore[operator]
    with demo.session() as session:
        assert demo_is_loaded(session) is True
