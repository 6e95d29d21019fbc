"""Periods: reading SDMX codes, stepping, comparing and changing frequency."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from govops.core.periods import (
    Frequency,
    InvalidPeriodError,
    Period,
    PeriodOperationError,
)

D, W, M, Q, S, A = (
    Frequency.DAILY,
    Frequency.WEEKLY,
    Frequency.MONTHLY,
    Frequency.QUARTERLY,
    Frequency.HALF_YEARLY,
    Frequency.YEARLY,
)
A2, A5, A10 = Frequency.BIENNIAL, Frequency.FIVE_YEARLY, Frequency.DECENNIAL
CALENDAR_FREQUENCIES = (D, W, M, Q, S, A)

# Generated periods start 1990 to 2110, so MAX_STEPS decennial steps either way stay
# inside the supported years 1900 to 2200.
MAX_STEPS = 8


def p(code: str) -> Period:
    return Period.parse(code)


@st.composite
def periods(
    draw: st.DrawFn,
    frequencies: tuple[Frequency, ...] = tuple(Frequency),
) -> Period:
    """Periods well inside the supported years, so a few steps either way stay valid."""
    frequency = draw(st.sampled_from(frequencies))
    day = draw(st.dates(date(1990, 1, 1), date(2110, 12, 31)))

    if not frequency.is_multi_year:
        return Period.containing(frequency, day)
    if (day.month, day.day) == (2, 29):
        day = day.replace(day=28)
    return Period(frequency, draw(st.sampled_from([day, date(day.year, 1, 1)])))


# --- reading codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "frequency", "start", "canonical"),
    [
        ("2025-03-15", D, date(2025, 3, 15), "2025-03-15"),
        ("2025-W11", W, date(2025, 3, 10), "2025-W11"),
        ("2025-M03", M, date(2025, 3, 1), "2025-M03"),
        ("2025-03", M, date(2025, 3, 1), "2025-M03"),
        ("2025-Q1", Q, date(2025, 1, 1), "2025-Q1"),
        ("2025-Q4", Q, date(2025, 10, 1), "2025-Q4"),
        ("2025-S1", S, date(2025, 1, 1), "2025-S1"),
        ("2025-S2", S, date(2025, 7, 1), "2025-S2"),
        ("2025", A, date(2025, 1, 1), "2025"),
        ("2025-A1", A, date(2025, 1, 1), "2025"),
        ("2021-01-01/P2Y", A2, date(2021, 1, 1), "2021-01-01/P2Y"),
        ("2021-01-01/P5Y", A5, date(2021, 1, 1), "2021-01-01/P5Y"),
        ("2021-01-01/P10Y", A10, date(2021, 1, 1), "2021-01-01/P10Y"),
    ],
)
def test_each_code_form_reads_as_its_frequency_and_start_and_writes_canonically(
    code: str, frequency: Frequency, start: date, canonical: str
) -> None:
    period = Period.parse(code)

    assert period == Period(frequency, start)
    assert period.code == canonical
    assert str(period) == canonical


def test_surrounding_whitespace_is_ignored() -> None:
    assert Period.parse("  2025-Q1\n") == p("2025-Q1")
    assert Period.parse("\t2025-03 ") == p("2025-M03")


@pytest.mark.parametrize(
    "code",
    [
        "",
        "2025-M3",
        "2025M03",
        "2025-q1",
        "2025 -Q1",
        "25-Q1",
        "2025-Q1x",
        "2025-W1",
        "2025-3-15",
        "2025-03-15T00:00",
        "2025/P5Y",
        "2021-01-01/P5",
        "2025-A2",
        "٢٠٢٥",
        "２０２５",
    ],
)
def test_codes_that_are_almost_right_are_refused(code: str) -> None:
    with pytest.raises(InvalidPeriodError) as caught:
        Period.parse(code)

    assert caught.value.code == code
    assert "2025-M03" in str(caught.value)


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        ("2025-M13", "month must be 01 to 12", "2025-M03"),
        ("2025-00", "month must be 01 to 12", "2025-M03"),
        ("2025-Q5", "quarter must be 1 to 4", "2025-Q1"),
        ("2025-Q0", "quarter must be 1 to 4", "2025-Q1"),
        ("2025-S3", "half-year must be 1 or 2", "2025-S1"),
        ("2025-W00", "week must be 01 to 53", "2025-W11"),
        ("2025-W53", "ISO year 2025 has only 52 weeks", "2025-W11"),
        ("2025-02-29", "2025-02 has no day 29", "2025-03-15"),
        ("2025-04-31", "2025-04 has no day 31", "2025-03-15"),
        ("1899", "year must be 1900 to 2200, not 1899", "2025"),
        ("2201-M01", "year must be 1900 to 2200, not 2201", "2025-M03"),
        ("2021-01-01/P3Y", "a multi-year span must be P2Y, P5Y or P10Y", "2021-01-01/P5Y"),
        ("2020-02-29/P5Y", "cannot start on 29 February", "2021-01-01/P5Y"),
    ],
)
def test_an_out_of_range_code_is_refused_with_the_reason_and_an_example(
    code: str, reason: str, expected: str
) -> None:
    with pytest.raises(InvalidPeriodError) as caught:
        Period.parse(code)

    assert caught.value.code == code
    assert caught.value.expected == expected
    assert reason in str(caught.value)


def test_the_error_message_reads_as_one_sentence() -> None:
    with pytest.raises(InvalidPeriodError) as caught:
        Period.parse("2025-M13")

    assert str(caught.value) == (
        "'2025-M13' is not a valid period: month must be 01 to 12 (expected e.g. 2025-M03)"
    )
    assert isinstance(caught.value, ValueError)


def test_a_code_that_is_not_text_is_refused_as_an_invalid_period() -> None:
    with pytest.raises(InvalidPeriodError, match="must be text"):
        Period.parse(None)  # type: ignore[arg-type]


def test_week_53_exists_only_in_iso_years_that_have_it() -> None:
    assert p("2020-W53").start == date(2020, 12, 28)
    assert p("2026-W53").end == date(2027, 1, 3)

    with pytest.raises(InvalidPeriodError, match="only 52 weeks"):
        Period.parse("2021-W53")


def test_a_weekly_code_carries_the_iso_year_not_the_calendar_year() -> None:
    assert Period.containing(W, date(2024, 12, 30)).code == "2025-W01"
    assert Period.containing(W, date(2021, 1, 3)).code == "2020-W53"


def test_parse_for_accepts_a_code_of_the_required_frequency() -> None:
    assert Period.parse_for(" 2025-03 ", M) == p("2025-M03")


def test_parse_for_names_the_code_what_it_read_and_the_frequency_required() -> None:
    with pytest.raises(InvalidPeriodError) as caught:
        Period.parse_for("2025-Q1", M)

    message = str(caught.value)
    assert "'2025-Q1'" in message
    assert "quarterly" in message
    assert "monthly" in message
    assert caught.value.expected == "2025-M03"


def test_parse_for_shows_an_example_of_the_required_frequency_for_junk() -> None:
    with pytest.raises(InvalidPeriodError) as caught:
        Period.parse_for("last year", Q)

    assert caught.value.expected == "2025-Q1"


# --- building periods directly ----------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "start", "reason"),
    [
        (M, date(2025, 3, 15), "starts on the 1st of a month"),
        (Q, date(2025, 2, 1), "1 January, 1 April, 1 July or 1 October"),
        (S, date(2025, 4, 1), "1 January or 1 July"),
        (A, date(2025, 7, 1), "starts on 1 January"),
        (W, date(2025, 3, 11), "2025-03-11 is a Tuesday"),
        (A5, date(2020, 2, 29), "cannot start on 29 February"),
        (A, date(1899, 1, 1), "year must be 1900 to 2200"),
        (W, date(1899, 12, 25), "year must be 1900 to 2200"),
    ],
)
def test_a_start_that_does_not_begin_a_period_of_the_frequency_is_refused(
    frequency: Frequency, start: date, reason: str
) -> None:
    with pytest.raises(InvalidPeriodError, match=reason) as caught:
        Period(frequency, start)

    assert caught.value.expected == frequency.example


def test_a_multi_year_span_may_start_on_any_other_day() -> None:
    census_decade = p("2019-04-01/P10Y")

    assert census_decade.end == date(2029, 3, 31)
    assert census_decade.next().code == "2029-04-01/P10Y"


def test_a_datetime_or_a_plain_string_frequency_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a date"):
        Period(M, datetime(2025, 3, 1))
    with pytest.raises(TypeError, match="frequency must be one of"):
        Period("M", date(2025, 3, 1))  # type: ignore[arg-type]


# --- extent, stepping and ordering -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "end"),
    [
        ("2025-03-15", date(2025, 3, 15)),
        ("2025-W11", date(2025, 3, 16)),
        ("2024-M02", date(2024, 2, 29)),
        ("2025-M02", date(2025, 2, 28)),
        ("2025-Q2", date(2025, 6, 30)),
        ("2025-S1", date(2025, 6, 30)),
        ("2025", date(2025, 12, 31)),
        ("2021-01-01/P5Y", date(2025, 12, 31)),
    ],
)
def test_end_is_the_last_day_of_the_period(code: str, end: date) -> None:
    period = Period.parse(code)

    assert period.end == end
    assert period.contains(end)
    assert not period.contains(end + timedelta(days=1))
    assert not period.contains(period.start - timedelta(days=1))


def test_stepping_crosses_year_boundaries() -> None:
    assert p("2025-M12").next() == p("2026-M01")
    assert p("2025-Q1").previous() == p("2024-Q4")
    assert p("2020-W53").next() == p("2021-W01")
    assert p("2025-S2").shift(-3) == p("2024-S1")


def test_stepping_past_the_supported_years_is_refused() -> None:
    with pytest.raises(PeriodOperationError, match="shifting 2200 by 1 periods"):
        p("2200").next()
    with pytest.raises(PeriodOperationError, match="leaves the years 1900 to 2200"):
        p("2025-03-15").shift(10**12)


@pytest.mark.parametrize(
    ("code", "last_year"),
    [
        ("2025-M03", "2024-M03"),
        ("2025-Q1", "2024-Q1"),
        ("2025-S2", "2024-S2"),
        ("2025", "2024"),
        ("2025-W11", "2024-W11"),
        ("2026-W53", "2025-W52"),
        ("2021-W01", "2020-W01"),
        ("2024-02-29", "2023-02-28"),
        ("2025-03-15", "2024-03-15"),
    ],
)
def test_same_period_last_year_clamps_week_53_and_29_february(code: str, last_year: str) -> None:
    assert Period.parse(code).same_period_last_year() == Period.parse(last_year)


def test_a_multi_year_span_has_no_same_period_last_year() -> None:
    with pytest.raises(PeriodOperationError, match="previous"):
        p("2021-01-01/P5Y").same_period_last_year()


def test_periods_sort_by_start_then_the_longer_span_first() -> None:
    codes = ["2025-01-01", "2025-M02", "2025-M01", "2025-Q1", "2025", "2024-Q4"]
    ordered = sorted(Period.parse(code) for code in codes)

    assert [period.code for period in ordered] == [
        "2024-Q4",
        "2025",
        "2025-Q1",
        "2025-M01",
        "2025-01-01",
        "2025-M02",
    ]


def test_two_spellings_of_one_month_are_one_key() -> None:
    totals = {p("2025-03"): 1}

    assert totals[p("2025-M03")] == 1


def test_span_lists_every_period_from_first_to_last() -> None:
    months = Period.span(p("2024-M11"), p("2025-M02"))

    assert [month.code for month in months] == ["2024-M11", "2024-M12", "2025-M01", "2025-M02"]
    assert Period.span(p("2025"), p("2025")) == [p("2025")]


@pytest.mark.parametrize(
    ("first", "last", "reason"),
    [
        ("2025-M03", "2025-M01", "after 2025-M01"),
        ("2025-M03", "2025-Q2", "one frequency"),
        ("2021-01-01/P5Y", "2023-01-01/P5Y", "one sequence"),
    ],
)
def test_a_span_that_cannot_be_listed_is_refused(first: str, last: str, reason: str) -> None:
    with pytest.raises(PeriodOperationError, match=reason):
        Period.span(Period.parse(first), Period.parse(last))


# --- changing frequency ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "coarser", "container"),
    [
        ("2025-03-15", W, "2025-W11"),
        ("2025-03-15", M, "2025-M03"),
        ("2025-03-15", Q, "2025-Q1"),
        ("2025-08-15", S, "2025-S2"),
        ("2025-03-15", A, "2025"),
        ("2025-M05", Q, "2025-Q2"),
        ("2025-Q3", S, "2025-S2"),
        ("2025-S2", A, "2025"),
        ("2025-Q1", Q, "2025-Q1"),
    ],
)
def test_to_frequency_gives_the_coarser_period_containing_it(
    code: str, coarser: Frequency, container: str
) -> None:
    assert Period.parse(code).to_frequency(coarser) == Period.parse(container)


@pytest.mark.parametrize(
    ("code", "target", "reason"),
    [
        ("2025-W11", M, "weeks straddle"),
        ("2025-W11", A, "weeks straddle"),
        ("2025-M03", D, "not coarser"),
        ("2025", Q, "not coarser"),
        ("2025", A5, "multi-year"),
        ("2021-01-01/P5Y", A10, "multi-year"),
    ],
)
def test_to_frequency_refuses_what_has_no_single_answer(
    code: str, target: Frequency, reason: str
) -> None:
    with pytest.raises(PeriodOperationError, match=reason):
        Period.parse(code).to_frequency(target)


def test_no_day_belongs_to_a_multi_year_span_by_itself() -> None:
    with pytest.raises(PeriodOperationError, match="2021-01-01/P5Y"):
        Period.containing(A5, date(2023, 6, 1))


@pytest.mark.parametrize(
    ("code", "finer", "parts"),
    [
        ("2025-Q2", M, ["2025-M04", "2025-M05", "2025-M06"]),
        ("2025", Q, ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]),
        ("2025", S, ["2025-S1", "2025-S2"]),
        ("2021-01-01/P10Y", A5, ["2021-01-01/P5Y", "2026-01-01/P5Y"]),
        ("2021-01-01/P2Y", A, ["2021", "2022"]),
        ("2025-M04", M, ["2025-M04"]),
    ],
)
def test_subperiods_are_the_finer_periods_that_make_it_up(
    code: str, finer: Frequency, parts: list[str]
) -> None:
    assert [part.code for part in Period.parse(code).subperiods(finer)] == parts


def test_a_month_splits_into_its_days_and_a_week_into_seven() -> None:
    assert len(p("2024-M02").subperiods(D)) == 29
    assert p("2025-W11").subperiods(D)[-1] == p("2025-03-16")


@pytest.mark.parametrize(
    ("code", "finer", "reason"),
    [
        ("2025", W, "weeks straddle"),
        ("2025-M03", Q, "not finer"),
        ("2021-01-01/P5Y", A2, "does not divide"),
        ("2021-03-01/P5Y", A, "off the yearly calendar"),
    ],
)
def test_subperiods_refuses_splits_that_do_not_tile(
    code: str, finer: Frequency, reason: str
) -> None:
    with pytest.raises(PeriodOperationError, match=reason):
        Period.parse(code).subperiods(finer)


# --- frequencies ---------------------------------------------------------------------


def test_frequencies_know_their_length_rank_and_names() -> None:
    assert [f.months for f in Frequency] == [None, None, 1, 3, 6, 12, 24, 60, 120]
    assert D.is_finer_than(W)
    assert M.is_finer_than(Q)
    assert not A10.is_finer_than(A5)
    assert (Q.label_vi, Q.label_en) == ("Quý", "Quarterly")
    assert S.label_vi == "6 tháng"
    assert Frequency("A5") is A5


def test_every_frequency_label_is_nfc_and_its_example_parses_to_it() -> None:
    for frequency in Frequency:
        assert unicodedata.is_normalized("NFC", frequency.label_vi)
        assert Period.parse(frequency.example).frequency is frequency


# --- properties ----------------------------------------------------------------------


@given(periods())
def test_every_period_round_trips_through_its_code(period: Period) -> None:
    assert Period.parse(period.code) == period
    assert Period.parse_for(period.code, period.frequency).code == period.code


@given(st.sampled_from(list(Frequency)), st.data())
def test_periods_of_one_frequency_order_as_their_start_dates(
    frequency: Frequency, data: st.DataObject
) -> None:
    first = data.draw(periods((frequency,)))
    second = data.draw(periods((frequency,)))

    assert (first < second) == (first.start < second.start)
    assert (first <= second) == (first.start <= second.start)
    assert (first == second) == (first.start == second.start)


@given(periods())
def test_next_then_previous_comes_back(period: Period) -> None:
    assert period.next().previous() == period
    assert period.previous().next() == period
    assert period.next().start == period.end + timedelta(days=1)


@given(periods(), st.integers(min_value=-MAX_STEPS, max_value=MAX_STEPS))
def test_shift_by_n_equals_n_single_steps(period: Period, n: int) -> None:
    stepped = period
    for _ in range(abs(n)):
        stepped = stepped.next() if n > 0 else stepped.previous()

    assert period.shift(n) == stepped


@given(periods((M, Q, S, A)))
def test_same_period_last_year_of_calendar_periods_is_a_years_worth_of_steps(
    period: Period,
) -> None:
    steps_per_year = 12 // (period.frequency.months or 0)

    assert period.same_period_last_year() == period.shift(-steps_per_year)


@given(periods(CALENDAR_FREQUENCIES))
def test_every_day_of_a_period_maps_back_to_it(period: Period) -> None:
    day = period.start
    while day <= period.end:
        assert Period.containing(period.frequency, day) == period
        assert period.contains(day)
        day += timedelta(days=1)


@given(periods(), st.sampled_from(list(Frequency)))
def test_subperiods_tile_the_period_exactly(period: Period, finer: Frequency) -> None:
    try:
        parts = period.subperiods(finer)
    except PeriodOperationError:
        reject()

    assert parts[0].start == period.start
    assert parts[-1].end == period.end
    for earlier, later in pairwise(parts):
        assert later.start == earlier.end + timedelta(days=1)
    if not period.frequency.is_multi_year:
        assert {part.to_frequency(period.frequency) for part in parts} == {period}


@given(periods(), st.integers(min_value=0, max_value=MAX_STEPS))
def test_span_from_a_period_to_k_steps_later_has_k_plus_one_periods(
    period: Period, k: int
) -> None:
    listed = Period.span(period, period.shift(k))

    assert len(listed) == k + 1
    assert listed == sorted(listed)


code_like_text = st.text(alphabet="0123456789-/WMQSAPY ", max_size=18)


@given(st.one_of(st.text(max_size=20), code_like_text))
def test_any_text_either_reads_as_a_period_that_round_trips_or_is_refused(text: str) -> None:
    try:
        period = Period.parse(text)
    except InvalidPeriodError as error:
        assert str(error).startswith(f"{error.code!r} is not a valid period: ")
        return

    assert Period.parse(period.code) == period
