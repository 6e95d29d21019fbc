"""Reading series: vintages, as-of, history across the merger, transforms, frequencies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from govops.catalog.models import Indicator
from govops.core.db import transaction
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency
from govops.datastore.analytics import DataQuery, run_query
from govops.datastore.transforms import Transform
from govops.datastore.writes import store_observations
from tests.factories import payload, row


def write(store, *rows):
    with transaction(store.sessions) as session:
        return store_observations(session, list(rows), payload())


def values(store, query: DataQuery, series: int = 0) -> dict[str, Decimal | None]:
    with store.session() as session:
        answer = run_query(session, query)
    return {point.period.code: point.value for point in answer.series[series].points}


def answer(store, query: DataQuery):
    with store.session() as session:
        return run_query(session, query)


def test_a_revision_adds_a_vintage_and_the_first_value_stays_readable_as_of(store):
    first = write(store, row(value="100"))
    write(store, row(value="110", status="A"))
    latest = values(store, DataQuery("RETAIL_SALES", ("01",)))
    known_then = values(store, DataQuery("RETAIL_SALES", ("01",), as_of=first.received_at))
    before_anything = answer(
        store, DataQuery("RETAIL_SALES", ("01",), as_of=first.received_at - timedelta(seconds=1))
    )
    assert latest == {"2025-M03": Decimal("110")}
    assert known_then == {"2025-M03": Decimal("100")}
    assert before_anything.series[0].points == []


def test_resending_the_same_values_stores_nothing_new(store):
    write(store, row(1, value="100"), row(2, period="2025-M04", value="5"))
    receipt = write(store, row(1, value="100.0"), row(2, period="2025-M04", value="5"))
    assert (receipt.stored, receipt.unchanged) == (0, 2)


def test_a_current_province_reads_the_sum_of_its_predecessors_before_the_merger(store):
    write(
        store,
        row(1, area="24", period="2025-M06", value="10"),
        row(2, area="27", period="2025-M06", value="5.5"),
        row(3, area="24", period="2025-M07", value="16"),
    )
    result = answer(store, DataQuery("RETAIL_SALES", ("24",), "2025-M06", "2025-M07"))
    points = {p.period.code: p.value for p in result.series[0].points}
    assert points == {"2025-M06": Decimal("15.5"), "2025-M07": Decimal("16")}
    assert "24 Tỉnh Bắc Giang, 27 Tỉnh Bắc Ninh" in result.series[0].notes[0]


def test_a_merged_month_is_missing_when_a_predecessor_has_no_value(store):
    write(
        store,
        row(1, area="24", period="2025-M05", value="10", status="P"),
        row(2, area="27", period="2025-M05", value="5"),
        row(3, area="24", period="2025-M06", value="10"),
    )
    merged = DataQuery("RETAIL_SALES", ("24", "01"), "2025-M05", "2025-M06", at=date(2025, 7, 1))
    result = answer(store, merged)
    may, june = result.series[0].points
    assert (may.value, may.status) == (Decimal("15"), "P")
    assert (june.value, june.status, june.note) == (None, "M", "1 of 2 areas have no value")


def test_history_across_the_merger_is_assembled_as_known_at_an_instant(store):
    first = write(
        store,
        row(1, area="24", period="2025-M06", value="10"),
        row(2, area="27", period="2025-M06", value="5"),
    )
    revision = write(store, row(1, area="27", period="2025-M06", value="7", status="A"))
    query = DataQuery("RETAIL_SALES", ("24",), "2025-M06", "2025-M06", at=date(2025, 7, 1))
    (latest,) = answer(store, query).series[0].points
    (known_then,) = answer(store, replace(query, as_of=first.received_at)).series[0].points
    assert (latest.value, latest.recorded_at) == (Decimal("17"), revision.received_at)
    assert (known_then.value, known_then.recorded_at) == (Decimal("15"), first.received_at)


def test_an_indicator_averaged_over_areas_reads_its_predecessors_mean(fresh_store):
    with transaction(fresh_store.sessions) as session:
        session.execute(
            update(Indicator).where(Indicator.code == "RETAIL_SALES").values(area_rule="mean")
        )
    write(
        fresh_store,
        row(1, area="24", period="2025-M06", value="10"),
        row(2, area="27", period="2025-M06", value="5"),
    )
    query = DataQuery("RETAIL_SALES", ("24", "01"), "2025-M06", "2025-M06", at=date(2025, 7, 1))
    assert values(fresh_store, query) == {"2025-M06": Decimal("7.5")}


def test_a_non_additive_indicator_leaves_the_gap_before_the_merger(store):
    write(
        store,
        row(1, indicator="IIP", area="24", period="2025-M06", value="120"),
        row(2, indicator="IIP", area="27", period="2025-M06", value="130"),
        row(3, indicator="IIP", area="24", period="2025-M07", value="125"),
    )
    result = answer(store, DataQuery("IIP", ("24",), "2025-M06", "2025-M07"))
    june, july = result.series[0].points
    assert (june.value, june.status) == (None, "M")
    assert "cannot be added up" in (june.note or "")
    assert july.value == Decimal("125")


def test_an_unchanged_province_reads_straight_across_the_merger(store):
    write(
        store,
        row(1, indicator="IIP", area="01", period="2025-M06", value="120"),
        row(2, indicator="IIP", area="01", period="2025-M07", value="121"),
    )
    assert values(store, DataQuery("IIP", ("01",), "2025-M06", "2025-M07")) == {
        "2025-M06": Decimal("120"),
        "2025-M07": Decimal("121"),
    }


def test_a_weighted_mean_uses_the_weight_indicator_of_the_year(store):
    write(
        store,
        row(1, indicator="CPI", area="24", period="2025-M06", value="100"),
        row(2, indicator="CPI", area="27", period="2025-M06", value="110"),
        row(3, indicator="POP", area="24", period="2024", value="1900", dims={"SEX": "_T"}),
        row(4, indicator="POP", area="27", period="2024", value="1500", dims={"SEX": "_T"}),
        row(5, indicator="POP", area="24", period="2025", value="3400", dims={"SEX": "_T"}),
    )
    new_bac_ninh = DataQuery("CPI", ("24",), "2025-M06", "2025-M06", at=date(2025, 7, 1))
    june = values(store, new_bac_ninh)["2025-M06"]
    assert june == Decimal("104.41")  # (100*1900 + 110*1500) / 3400 = 104.4117…


def test_an_area_code_is_read_at_the_end_of_the_range_unless_a_date_is_given(store):
    write(
        store,
        row(1, area="24", period="2025-M06", value="10"),
        row(2, area="27", period="2025-M06", value="5"),
    )
    old_bac_giang = answer(store, DataQuery("RETAIL_SALES", ("24",), "2025-M06", "2025-M06"))
    new_bac_ninh = answer(
        store, DataQuery("RETAIL_SALES", ("24",), "2025-M06", "2025-M06", at=date(2025, 7, 1))
    )
    assert old_bac_giang.series[0].area.name_vi == "Tỉnh Bắc Giang"
    assert old_bac_giang.series[0].points[0].value == Decimal("10")
    assert new_bac_ninh.series[0].points[0].value == Decimal("15")


def test_the_nation_is_summed_from_provinces_when_it_has_no_value_of_its_own(store):
    write(store, row(1, area="01", period="2025-M08", value="10"))
    partial = answer(store, DataQuery("RETAIL_SALES", ("VN",), "2025-M08", "2025-M08"))
    assert partial.series[0].points[0].value is None
    assert "33 of 34 areas have no value" in (partial.series[0].points[0].note or "")


def test_year_on_year_is_a_percent_change_and_in_points_for_rates(store):
    write(
        store,
        row(1, period="2024-M03", value="200"),
        row(2, period="2025-M03", value="230"),
        row(3, indicator="POVERTY_RATE_MD", period="2024", value="4.1"),
        row(4, indicator="POVERTY_RATE_MD", period="2025", value="3.3"),
    )
    yoy = values(
        store,
        DataQuery(
            "RETAIL_SALES", ("01",), "2025-M03", "2025-M03", transform=Transform.YEAR_ON_YEAR
        ),
    )
    points = answer(
        store,
        DataQuery("POVERTY_RATE_MD", ("01",), "2025", "2025", transform=Transform.YEAR_ON_YEAR),
    )
    assert yoy == {"2025-M03": Decimal("15.00")}
    assert points.series[0].points[0].value == Decimal("-0.80")
    assert points.unit == "percentage points"


def test_year_to_date_sums_months_and_compares_with_the_same_span(store):
    rows = [
        row(i, period=f"{year}-M{month:02d}", value=str(value))
        for i, (year, month, value) in enumerate(
            [
                (2024, 1, 10),
                (2024, 2, 20),
                (2024, 3, 30),
                (2025, 1, 12),
                (2025, 2, 22),
                (2025, 3, 32),
            ],
            start=1,
        )
    ]
    write(store, *rows)
    ytd = values(
        store,
        DataQuery(
            "RETAIL_SALES", ("01",), "2025-M01", "2025-M03", transform=Transform.YEAR_TO_DATE
        ),
    )
    ytd_yoy = values(
        store,
        DataQuery(
            "RETAIL_SALES", ("01",), "2025-M03", "2025-M03", transform=Transform.YTD_YEAR_ON_YEAR
        ),
    )
    assert ytd == {"2025-M01": Decimal("12"), "2025-M02": Decimal("34"), "2025-M03": Decimal("66")}
    assert ytd_yoy == {"2025-M03": Decimal("10.00")}  # 66 against 60


def test_share_of_the_nation_divides_by_the_national_value(store):
    write(store, row(1, area="VN", value="400"), row(2, area="79", value="100"))
    share = values(
        store,
        DataQuery(
            "RETAIL_SALES", ("79",), "2025-M03", "2025-M03", transform=Transform.SHARE_OF_NATION
        ),
    )
    assert share == {"2025-M03": Decimal("25.00")}


def test_quarters_are_formed_only_from_complete_months(store):
    write(
        store,
        row(1, period="2025-M01", value="1"),
        row(2, period="2025-M02", value="2"),
        row(3, period="2025-M03", value="3"),
        row(4, period="2025-M04", value="4"),
    )
    result = answer(
        store,
        DataQuery("RETAIL_SALES", ("01",), "2025-Q1", "2025-Q2", frequency=Frequency.QUARTERLY),
    )
    q1, q2 = result.series[0].points
    assert (q1.period.code, q1.value) == ("2025-Q1", Decimal("6"))
    assert (q2.value, q2.note) == (None, "1 of 3 periods known")


def test_a_derived_indicator_is_computed_on_read(store):
    write(
        store,
        row(1, indicator="EXPORTS", area="VN", value="40000"),
        row(2, indicator="IMPORTS", area="VN", value="38500.5", status="P"),
    )
    result = answer(store, DataQuery("TRADE_BALANCE", ("VN",)))
    point = result.series[0].points[0]
    assert (point.value, point.status) == (Decimal("1499.5"), "P")


@pytest.mark.parametrize(
    "query",
    [
        DataQuery("RETAIL_SALES", ("01",), "2025-M05", "2025-M01"),
        DataQuery("RETAIL_SALES", ("01",), frequency=Frequency.DAILY),
        DataQuery("GDP_GROWTH_Q", ("VN",), frequency=Frequency.YEARLY),
    ],
)
def test_impossible_queries_are_refused_with_a_reason(store, query):
    with store.session() as session, pytest.raises(InvalidRequest):
        run_query(session, query)


def test_as_of_ignores_vintages_recorded_later(store):
    write(store, row(value="1"))
    cut = datetime.now(UTC)
    write(store, row(value="2"))
    assert values(store, DataQuery("RETAIL_SALES", ("01",), as_of=cut)) == {
        "2025-M03": Decimal("1")
    }
