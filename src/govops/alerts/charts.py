"""Chart specifications for a warning's evidence: Plotly figures as plain JSON.

The page draws them with the Plotly.js bundled in the ``plotly`` package; the API hands
them out as they are, so any client with Plotly shows the same chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from govops.catalog.models import Area, Indicator
from govops.core.periods import Period

if TYPE_CHECKING:
    from govops.alerts.checks import SeriesPoint


def series_chart(
    indicator: Indicator,
    area: Area,
    points: Sequence[SeriesPoint],
    *,
    lines: dict[str, float] | None = None,
    band: tuple[Period, float, float] | None = None,
) -> dict[str, Any]:
    """The series' recent actuals, with horizontal lines and a forecast interval if given."""
    periods = [point.period.code for point in points]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": indicator.name_vi,
            "x": periods,
            "y": [point.value for point in points],
        }
    ]
    for name, value in (lines or {}).items():
        data.append(_line(name, periods, value))
    if band is not None:
        period, low, high = band
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "khoảng dự báo / forecast interval",
                "x": [period.code],
                "y": [(low + high) / 2],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(high - low) / 2],
                    "arrayminus": [(high - low) / 2],
                },
            }
        )
    return _figure(f"{indicator.name_vi} — {area.name_vi}", indicator.unit.name_vi, data)


def target_chart(
    title: str,
    unit: str,
    expected: float | None,
    interval: tuple[float | None, float | None],
    bounds: tuple[float, float],
) -> dict[str, Any]:
    """Where the period is expected to end, with its 80% interval, against the target."""
    data: list[dict[str, Any]] = []
    low, high = interval
    if expected is not None and low is not None and high is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "dự kiến / expected",
                "x": ["dự kiến / expected"],
                "y": [expected],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [high - expected],
                    "arrayminus": [expected - low],
                },
            }
        )
    x = ["dự kiến / expected"]
    for name, value in (
        ("mục tiêu / target from", bounds[0]),
        ("mục tiêu / target to", bounds[1]),
    ):
        if value not in (float("inf"), float("-inf")):
            data.append(_line(name, x, value))
    return _figure(title, unit, data)


def _line(name: str, x: list[str], value: float) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": x if len(x) > 1 else x * 2,
        "y": [value] * max(len(x), 2),
        "line": {"dash": "dash"},
    }


def _figure(title: str, unit: str, data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": data,
        "layout": {"title": {"text": title}, "yaxis": {"title": {"text": unit}}},
    }
