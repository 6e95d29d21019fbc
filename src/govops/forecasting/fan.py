"""The forecast fan drawn on an indicator's chart: Plotly traces from stored forecasts.

A chart shows the newest stored forecast of each series it draws (made by the time the
chart's "as known on" instant, if one is given): the mean as a dashed line joined to the
last actual, the 80% interval shaded darker inside the 95% one. The short reach (next
one to three periods) and the medium reach (to the end of the year after the last
actual) are one forecast; for yearly indicators the long reach, up to ten years, is drawn
apart as a trend projection, lighter and dotted, with its growing uncertainty.

Nothing here runs a model: a page must stay fast and the server lean, so the fan is what
the runs (``govops forecast run``, and the runs new data starts) have stored. A series
with no stored forecast gets a note saying so instead of a fan.

The texts are in this module in both languages, as on the package's pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Area, Indicator
from govops.core.periods import Period
from govops.forecasting.models import Forecast
from govops.forecasting.records import load_result
from govops.forecasting.result import ForecastPoint, ForecastResult, Reach
from govops.web import i18n

# plotly.js's default colours, in its order: a fan takes the colour of its series' line.
COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
TEXTS = {
    "forecast": ("Dự báo", "Forecast"),
    "projection": ("Dự phóng xu hướng", "Trend projection"),
    "band80": ("Khoảng dự báo 80%", "80% interval"),
    "band95": ("Khoảng dự báo 95%", "95% interval"),
    Reach.SHORT: ("ngắn hạn", "short term"),
    Reach.MEDIUM: ("trung hạn", "medium term"),
    Reach.LONG: ("dự phóng xu hướng", "trend projection"),
    "made": (
        "{area}: dự báo bằng {model}, lập lúc {made} từ số liệu đến {last}; vùng tô đậm là "
        "khoảng dự báo 80%, vùng nhạt là 95%.",
        "{area}: forecast by {model}, made {made} from figures up to {last}; the darker band "
        "is the 80% interval, the lighter one the 95%.",
    ),
    "long": (
        "Từ {start} trở đi là dự phóng xu hướng dài hạn: giả định xu hướng hiện nay tiếp diễn, "
        "độ bất định tăng dần theo năm.",
        "From {start} on it is a long-term trend projection: it assumes today's trend goes "
        "on, and its uncertainty grows year by year.",
    ),
    "stale": (
        "Số liệu mới hơn ({newest}) đã về sau khi lập dự báo này; dự báo mới được lập ở lần "
        "chạy tiếp theo.",
        "Newer figures ({newest}) arrived after this forecast was made; the next run makes a "
        "new one.",
    ),
    "missing": (
        "Chưa có dự báo lưu sẵn cho: {area}; dự báo được lập khi có số liệu mới "
        "(hoặc bằng lệnh govops forecast run).",
        "No stored forecast yet for: {area}; forecasts are made when new figures arrive "
        "(or with govops forecast run).",
    ),
}


@dataclass(frozen=True)
class ShownSeries:
    """A line the chart draws: its area, and its last actual (None if it has none)."""

    area: Area
    last_period: Period | None
    last_value: float | None


@dataclass
class Fan:
    """What the chart adds: traces, layout annotations and notes to print under it."""

    traces: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, Any]] = field(default_factory=list)
    shapes: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def forecast_fan(
    session: Session,
    *,
    indicator: Indicator,
    shown: Sequence[ShownSeries],
    language: str,
    as_of: datetime | None = None,
) -> Fan:
    """The fans of the series ``shown``, in the chart's order (and its colours)."""
    fan = Fan()
    words = _texts(language)
    missing = []
    for position, line in enumerate(shown):
        if line.last_period is None:
            continue
        result = newest_forecast(session, indicator=indicator, area=line.area, as_of=as_of)
        name = line.area.name_vi if language == "vi" else line.area.name_en
        if result is None:
            missing.append(name)
            continue
        if result.last_observed > line.last_period:
            continue  # the chart ends before the forecast's data: the fan would float
        colour = COLOURS[position % len(COLOURS)]
        first = position == 0
        fan.traces.extend(_traces(result, line, name, colour, words, language, first))
        fan.notes.extend(_notes(result, line, name, words, language))
        if first and result.trend_projection_from is not None:
            _mark_projection(fan, result.trend_projection_from, words)
    if missing:
        fan.notes.append(words["missing"].format(area=", ".join(missing)))
    return fan


def newest_forecast(
    session: Session, *, indicator: Indicator, area: Area, as_of: datetime | None = None
) -> ForecastResult | None:
    """The newest stored forecast of the series (of totals); with ``as_of``, the newest
    made from the data known then (a forecast made later from older data counts)."""
    known_at = func.coalesce(Forecast.as_of, Forecast.made_at)
    query = select(Forecast).where(
        Forecast.indicator_id == indicator.id,
        Forecast.area_id == area.id,
        Forecast.dims_key == "",
    )
    if as_of is not None:
        query = query.where(known_at <= as_of)
    newest_first = (known_at.desc(), Forecast.made_at.desc(), Forecast.id.desc())
    row = session.scalars(query.order_by(*newest_first)).first()
    return None if row is None else load_result(session, row)


def _traces(
    result: ForecastResult,
    line: ShownSeries,
    name: str,
    colour: str,
    words: dict[Any, str],
    language: str,
    first: bool,
) -> list[dict[str, Any]]:
    ahead = [p for p in result.points if p.reach is not Reach.LONG]
    beyond = [p for p in result.points if p.reach is Reach.LONG]
    # The fan opens at the last actual, so it reads as the continuation of the line.
    anchor = _anchor(result, line)
    everything = [*anchor, *result.points]
    traces = [
        _band(everything, "lo95", "hi95", colour, 0.12, words["band95"], first),
        _band(everything, "lo80", "hi80", colour, 0.28, words["band80"], first),
    ]
    if ahead:
        title = f"{words['forecast']} — {name}"
        traces.append(_mean([*anchor, *ahead], title, colour, "dash", words, language))
    if beyond:
        joined = [ahead[-1], *beyond] if ahead else [*anchor, *beyond]
        title = f"{words['projection']} — {name}"
        traces.append(_mean(joined, title, colour, "dot", words, language))
    return traces


def _anchor(result: ForecastResult, line: ShownSeries) -> list[ForecastPoint]:
    if line.last_value is None or line.last_period != result.last_observed:
        return []
    value = line.last_value
    return [ForecastPoint(result.last_observed, value, value, value, value, value, Reach.SHORT)]


def _band(
    points: list[ForecastPoint],
    low: str,
    high: str,
    colour: str,
    opacity: float,
    title: str,
    legend: bool,
) -> dict[str, Any]:
    """One interval as a closed shape: along the upper bounds, back along the lower."""
    xs = [p.period.start.isoformat() for p in points]
    return {
        "type": "scatter",
        "mode": "lines",
        "name": title,
        "legendgroup": title,
        "showlegend": legend,
        "x": xs + xs[::-1],
        "y": [getattr(p, high) for p in points] + [getattr(p, low) for p in points][::-1],
        "fill": "toself",
        "fillcolor": _transparent(colour, opacity),
        "line": {"width": 0},
        "hoverinfo": "skip",
    }


def _mean(
    points: list[ForecastPoint],
    title: str,
    colour: str,
    dash: str,
    words: dict[Any, str],
    language: str,
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "name": title,
        "x": [p.period.start.isoformat() for p in points],
        "y": [p.mean for p in points],
        "line": {"color": colour, "dash": dash, "width": 2},
        "text": [_hover(p, words, language) for p in points],
        "hovertemplate": "%{text}<extra>%{fullData.name}</extra>",
    }


def _hover(point: ForecastPoint, words: dict[Any, str], language: str) -> str:
    def number(value: float) -> str:
        return i18n.number(value, 2, language)

    return (
        f"{i18n.period_label(point.period, language)} ({words[point.reach]}): "
        f"{number(point.mean)}<br>80%: {number(point.lo80)} – {number(point.hi80)}"
        f"<br>95%: {number(point.lo95)} – {number(point.hi95)}"
    )


def _notes(
    result: ForecastResult,
    line: ShownSeries,
    name: str,
    words: dict[Any, str],
    language: str,
) -> list[str]:
    notes = [
        words["made"].format(
            area=name,
            model=result.model,
            made=i18n.instant(result.made_at, language),
            last=i18n.period_label(result.last_observed, language),
        )
    ]
    if result.trend_projection_from is not None:
        start = i18n.period_label(result.trend_projection_from, language)
        notes.append(words["long"].format(start=start))
    if line.last_period is not None and line.last_period > result.last_observed:
        notes.append(words["stale"].format(newest=i18n.period_label(line.last_period, language)))
    return notes


def _mark_projection(fan: Fan, start: Period, words: dict[Any, str]) -> None:
    """A vertical line where the trend projection begins, labelled as one."""
    x = start.start.isoformat()
    fan.shapes.append(
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": x,
            "x1": x,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#666", "width": 1, "dash": "dot"},
        }
    )
    fan.annotations.append(
        {
            "x": x,
            "y": 1,
            "xref": "x",
            "yref": "paper",
            "text": words["projection"] + " →",
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "top",
            "font": {"size": 12, "color": "#444"},
        }
    )


def _transparent(colour: str, opacity: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {opacity})"


def _texts(language: str) -> dict[Any, str]:
    index = 0 if language == "vi" else 1
    return {key: pair[index] for key, pair in TEXTS.items()}
