"""The forecast fan an indicator chart draws: stored forecasts as Plotly traces."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govops.catalog.areas import area_at
from govops.catalog.service import get_indicator
from govops.core.db import today_utc
from govops.core.periods import Period
from govops.forecasting.fan import ShownSeries, forecast_fan
from tests.test_forecast_service import forecast, seasonal, write


def fan_of(store, indicator: str, lines: dict[str, tuple[str, float] | None], **options):
    """The fan for areas coded as ``lines``' keys, each with its last actual (or None)."""
    with store.session() as session:
        shown = []
        for code, last in lines.items():
            area = area_at(session, code, today_utc())
            period, value = (Period.parse(last[0]), last[1]) if last else (None, None)
            shown.append(ShownSeries(area, period, value))
        found = get_indicator(session, indicator)
        return forecast_fan(session, indicator=found, shown=shown, **options)


def by_name(traces, words: str):
    return [trace for trace in traces if words in trace["name"]]


def test_a_monthly_chart_gets_both_intervals_around_a_mean_joined_to_the_last_actual(store):
    values = seasonal(94)  # 2018-M01 to 2025-M10
    write(store, "RETAIL_SALES", "01", "2018-M01", values)
    result = forecast(store)

    fan = fan_of(store, "RETAIL_SALES", {"01": ("2025-M10", float(values[-1]))}, language="vi")

    [band80] = by_name(fan.traces, "80%")
    [band95] = by_name(fan.traces, "95%")
    [mean] = by_name(fan.traces, "Dự báo")
    assert mean["x"][0] == "2025-10-01" and mean["y"][0] == pytest.approx(float(values[-1]))
    assert mean["x"][1:] == [p.period.start.isoformat() for p in result.points]
    assert mean["y"][1:] == pytest.approx([p.mean for p in result.points])
    # Each band is a closed shape: up along the upper bounds, back along the lower ones.
    n = len(result.points) + 1
    assert band95["y"][:n][1:] == pytest.approx([p.hi95 for p in result.points])
    assert band95["y"][n:][:-1] == pytest.approx([p.lo95 for p in reversed(result.points)])
    assert band80["y"][1] == pytest.approx(result.points[0].hi80)
    assert band80["fill"] == band95["fill"] == "toself"
    assert "ngắn hạn" in mean["text"][1] and "trung hạn" in mean["text"][4]
    assert not by_name(fan.traces, "xu hướng") and fan.annotations == []
    assert any(result.model in note and "T10/2025" in note for note in fan.notes)


def test_a_yearly_chart_marks_the_long_reach_as_a_trend_projection(store):
    growth = [f"{6 + 0.1 * (i % 4):.1f}" for i in range(16)]  # 2010 to 2025
    write(store, "GDP_GROWTH_A", "VN", "2010", growth)
    forecast(store, indicator="GDP_GROWTH_A", area="VN")

    fan = fan_of(store, "GDP_GROWTH_A", {"VN": ("2025", 6.3)}, language="en")

    [forecast_line] = by_name(fan.traces, "Forecast")
    [projection] = by_name(fan.traces, "Trend projection")
    assert forecast_line["x"] == ["2025-01-01", "2026-01-01"]
    assert projection["x"][0] == "2026-01-01" and projection["x"][-1] == "2035-01-01"
    assert projection["line"]["dash"] == "dot"
    assert "trend projection" in projection["text"][-1]
    assert fan.annotations[0]["text"].startswith("Trend projection")
    assert fan.shapes[0]["x0"] == "2027-01-01"
    assert any("From 2027 on it is a long-term trend projection" in n for n in fan.notes)


def test_a_series_without_a_stored_forecast_gets_a_note_instead_of_a_fan(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(94))

    fan = fan_of(store, "RETAIL_SALES", {"01": ("2025-M10", 1.0)}, language="en")

    assert fan.traces == []
    assert fan.notes == [
        "No stored forecast yet for: Hanoi; forecasts are made when new figures arrive "
        "(or with govops forecast run)."
    ]


def test_a_chart_as_known_earlier_shows_only_forecasts_made_from_the_data_then(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(94))
    result = forecast(store)
    before = result.made_at - timedelta(days=1)

    earlier = fan_of(store, "RETAIL_SALES", {"01": ("2025-M10", 1.0)}, language="en", as_of=before)
    now = fan_of(store, "RETAIL_SALES", {"01": ("2025-M10", 1.0)}, language="en")

    assert earlier.traces == [] and now.traces != []


def test_a_forecast_older_than_the_newest_figures_is_drawn_and_said_to_be_older(store):
    values = seasonal(96)
    write(store, "RETAIL_SALES", "01", "2018-M01", values[:94])
    forecast(store)
    write(store, "RETAIL_SALES", "01", "2025-M11", values[94:])

    fan = fan_of(store, "RETAIL_SALES", {"01": ("2025-M12", float(values[-1]))}, language="en")

    [mean] = by_name(fan.traces, "Forecast")
    assert mean["x"][0] == "2025-11-01"  # not joined to an actual the model never saw
    assert any("Newer figures (Dec 2025) arrived after" in note for note in fan.notes)


def test_a_chart_that_ends_before_the_forecasts_data_draws_no_fan(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(94))
    forecast(store)

    fan = fan_of(store, "RETAIL_SALES", {"01": ("2024-M12", 1.0)}, language="en")

    assert fan.traces == [] and fan.notes == []
