"""The indicator explorer: search the catalogue, then one indicator's chart, table and facts.

An indicator page is one data query (``datastore.analytics.run_query``) shown three ways:
a chart, the table behind it, and downloads of exactly that table in CSV and XLSX.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.areas import NATION_CODE, areas_on
from govops.catalog.models import Area, Indicator
from govops.catalog.service import find_indicators, get_indicator, list_agencies, list_groups
from govops.core.api import app_settings, parse_instant
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency, Period
from govops.datastore.analytics import DataAnswer, DataQuery, run_query
from govops.datastore.export import answer_csv, answer_xlsx
from govops.datastore.models import Observation, Series
from govops.datastore.transforms import Transform
from govops.forecasting.fan import ShownSeries, forecast_fan
from govops.security.permissions import Permission
from govops.security.web import record_export
from govops.web import i18n
from govops.web.auth import DbSession, Viewer, require_page
from govops.web.i18n import N_
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.DATA_READ)]
Exporter = Annotated[Viewer, require_page(Permission.DATA_EXPORT)]
SEARCH_LIMIT = 200
# An indicator page opens on this much history, ending at the latest value.
DEFAULT_SPAN_DAYS = 3 * 365
# More areas than this make a chart nobody can read; the table still shows them.
MAX_CHART_AREAS = 12
TRANSFORMS = (
    (Transform.NONE, N_("Values")),
    (Transform.YEAR_ON_YEAR, N_("Change on the same period last year")),
    (Transform.PREVIOUS_PERIOD, N_("Change on the previous period")),
    (Transform.YEAR_TO_DATE, N_("Year to date")),
    (Transform.YTD_YEAR_ON_YEAR, N_("Year to date, change on last year")),
    (Transform.SHARE_OF_NATION, N_("Share of the national value")),
)


@router.get("/indicators")
def search_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    q: Annotated[str, Query(max_length=200)] = "",
    group: Annotated[str, Query(max_length=40)] = "",
    frequency: Annotated[str, Query(max_length=4)] = "",
    owner: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    found = find_indicators(
        session,
        text=q or None,
        group=group or None,
        frequency=frequency or None,
        owner=owner or None,
        limit=SEARCH_LIMIT,
        visible_to=viewer.principal,
    )
    context = {
        "q": q,
        "group": group,
        "frequency": frequency,
        "owner": owner,
        "found": found,
        "groups": list_groups(session),
        "frequencies": list(Frequency),
        "agencies": list_agencies(session),
        "limit": SEARCH_LIMIT,
    }
    return render(request, viewer, "indicators.html", context)


@dataclass(frozen=True)
class Choice:
    """What a person chose on an indicator page, as given in its address."""

    transform: Transform
    areas: tuple[str, ...]
    start: str | None
    end: str | None
    as_of: str | None
    chart: str

    def query_string(self, **changes: Any) -> str:
        values = {
            "transform": self.transform.value,
            "area": list(self.areas),
            "start": self.start or "",
            "end": self.end or "",
            "as_of": self.as_of or "",
            "chart": self.chart,
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v}, doseq=True)

    @property
    def as_of_day(self) -> date | None:
        """The day ``as_of`` names, when it is a day (as the page's date field gives it)."""
        try:
            return date.fromisoformat(self.as_of or "")
        except ValueError:
            return None


def _choice(
    transform: Transform,
    area: list[str] | None,
    start: str | None,
    end: str | None,
    as_of: str | None,
    chart: str,
) -> Choice:
    areas = tuple(code for code in (area or []) if code) or (NATION_CODE,)
    if chart not in ("line", "bars"):
        raise InvalidRequest("chart must be line or bars", field="chart")
    return Choice(transform, areas, start or None, end or None, as_of or None, chart)


def answer_for(
    request: Request, session: Session, viewer: Viewer, code: str, choice: Choice
) -> DataAnswer:
    """The one query behind the chart, the table and the downloads."""
    indicator = get_indicator(session, code, visible_to=viewer.principal)
    start, end = choice.start, choice.end
    if start is None and end is None:
        start = _default_start(session, indicator)
    query = DataQuery(
        indicator=code,
        areas=choice.areas,
        first=start,
        last=end,
        as_of=parse_instant(choice.as_of, field="as_of"),
        transform=choice.transform,
    )
    limit = app_settings(request).max_query_cells
    return run_query(session, query, max_cells=limit, visible_to=viewer.principal)


def _default_start(session: Session, indicator: Indicator) -> str | None:
    newest = session.scalar(
        select(func.max(Series.latest_period_start)).where(Series.indicator_id == indicator.id)
    )
    if newest is None:
        return None
    frequency = Frequency(indicator.frequency)
    if frequency.is_multi_year:
        return None
    return Period.containing(frequency, newest - timedelta(days=DEFAULT_SPAN_DAYS)).code


@router.get("/indicators/{code}")
def indicator_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    code: str,
    transform: Transform = Transform.NONE,
    area: Annotated[list[str] | None, Query()] = None,
    start: Annotated[str | None, Query(max_length=30)] = None,
    end: Annotated[str | None, Query(max_length=30)] = None,
    as_of: Annotated[str | None, Query(max_length=30)] = None,
    chart: Annotated[str, Query(max_length=10)] = "line",
) -> Response:
    choice = _choice(transform, area, start, end, as_of, chart)
    answer = answer_for(request, session, viewer, code, choice)
    indicator = answer.indicator
    periods = sorted({point.period for series in answer.series for point in series.points})
    day = _reading_day(request, periods)
    context = {
        "indicator": indicator,
        "answer": answer,
        "choice": choice,
        "periods": periods,
        "table": _table(answer, periods),
        "chart_spec": chart_spec(answer, choice.chart, viewer.language),
        "forecast_notes": [],
        "transforms": TRANSFORMS,
        "areas": _area_choices(session, day),
        "revisions": revisions(session, indicator),
        "last_recorded": _last_recorded(answer),
        "start": choice.start or (periods[0].code if periods else ""),
        "end": choice.end or (periods[-1].code if periods else ""),
    }
    if choice.chart == "line" and choice.transform is Transform.NONE:
        context["forecast_notes"] = _add_forecast_fan(session, answer, choice, viewer, context)
    return render(request, viewer, "indicator.html", context)


def _add_forecast_fan(
    session: Session, answer: DataAnswer, choice: Choice, viewer: Viewer, context: dict[str, Any]
) -> list[str]:
    """The stored forecasts' fans (80% and 95%) on the line chart; the notes to show."""
    shown = []
    for item in answer.series[:MAX_CHART_AREAS]:
        known = [p for p in item.points if p.value is not None]
        last = known[-1] if known else None
        value = _plain(last.value) if last else None
        shown.append(ShownSeries(item.area, last.period if last else None, value))
    as_of = parse_instant(choice.as_of, field="as_of")
    fan = forecast_fan(
        session, indicator=answer.indicator, shown=shown, language=viewer.language, as_of=as_of
    )
    spec = context["chart_spec"]
    spec["data"].extend(fan.traces)
    spec["layout"]["annotations"] = fan.annotations
    spec["layout"]["shapes"] = fan.shapes
    return fan.notes


def _reading_day(request: Request, periods: list[Period]) -> date:
    if periods:
        return periods[-1].end
    return datetime.now(ZoneInfo(app_settings(request).timezone)).date()


def _area_choices(session: Session, day: date) -> list[Area]:
    # Asked level by level: the 3,321 communes of the day are not read only to be dropped.
    return areas_on(session, day, level="nation") + areas_on(session, day, level="province")


def _table(answer: DataAnswer, periods: list[Period]) -> list[tuple[Period, list[Any]]]:
    by_area = [{point.period: point for point in series.points} for series in answer.series]
    return [(period, [points.get(period) for points in by_area]) for period in periods]


def _last_recorded(answer: DataAnswer) -> datetime | None:
    stamps = [p.recorded_at for s in answer.series for p in s.points if p.recorded_at]
    return max(stamps) if stamps else None


def chart_spec(answer: DataAnswer, chart: str, language: str) -> dict[str, Any]:
    """Plotly's data and layout: a line over time, or bars comparing areas' latest values."""
    series = answer.series[:MAX_CHART_AREAS]
    gettext = i18n.translations(language).gettext
    transformed = answer.transform is not Transform.NONE
    unit = gettext(answer.unit) if transformed else _unit(answer, language)
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 20, "b": 60},
        "yaxis": {"title": {"text": unit}, "separatethousands": True},
        "legend": {"orientation": "h"},
        "separators": ",." if language == "vi" else ".,",
        "font": {"family": "system-ui, sans-serif", "size": 14},
    }
    if chart == "bars":
        return {"data": [_bars(series, language)], "layout": layout}
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _area_name(item.area, language),
            "x": [p.period.start.isoformat() for p in item.points],
            "y": [_plain(p.value) for p in item.points],
            "text": [i18n.period_label(p.period, language) for p in item.points],
            "hovertemplate": "%{text}: %{y}<extra>%{fullData.name}</extra>",
        }
        for item in series
    ]
    return {"data": data, "layout": layout}


def _bars(series: list[Any], language: str) -> dict[str, Any]:
    names, values, labels = [], [], []
    for item in series:
        known = [p for p in item.points if p.value is not None]
        names.append(_area_name(item.area, language))
        values.append(_plain(known[-1].value) if known else None)
        labels.append(i18n.period_label(known[-1].period, language) if known else "–")
    return {
        "type": "bar",
        "x": names,
        "y": values,
        "text": labels,
        "hovertemplate": "%{x} (%{text}): %{y}<extra></extra>",
    }


def _unit(answer: DataAnswer, language: str) -> str:
    """The unit as the reader's language names it (symbols such as "USD mn" are English)."""
    unit = answer.indicator.unit
    if unit.symbol == "%":
        return unit.symbol
    return unit.name_vi if language == "vi" else unit.name_en


def _area_name(area: Area, language: str) -> str:
    return area.name_vi if language == "vi" else area.name_en


def _plain(value: Decimal | None) -> float | None:
    # Plotly draws floats; the table and downloads keep the exact decimals.
    return None if value is None else float(value)


@dataclass(frozen=True)
class Revision:
    period: Period
    value: Decimal | None
    recorded_at: datetime


def revisions(session: Session, indicator: Indicator, limit: int = 20) -> list[Revision]:
    """The national series' later vintages: values that replaced an earlier one."""
    series_id = session.scalar(
        select(Series.id)
        .join(Area, Area.id == Series.area_id)
        .where(
            Series.indicator_id == indicator.id, Area.code == NATION_CODE, Series.dims_key == ""
        )
    )
    if series_id is None:
        return []
    first_seen = (
        select(Observation.period_start, func.min(Observation.recorded_at).label("first"))
        .where(Observation.series_id == series_id)
        .group_by(Observation.period_start)
        .subquery()
    )
    rows = session.execute(
        select(Observation.period_start, Observation.value, Observation.recorded_at)
        .join(first_seen, first_seen.c.period_start == Observation.period_start)
        .where(Observation.series_id == series_id, Observation.recorded_at > first_seen.c.first)
        .order_by(Observation.recorded_at.desc(), Observation.period_start.desc())
        .limit(limit)
    )
    frequency = Frequency(indicator.frequency)
    return [Revision(Period(frequency, start), value, at) for start, value, at in rows]


def _download(
    request: Request, session: Session, viewer: Viewer, code: str, choice: Choice, kind: str
) -> Response:
    answer = answer_for(request, session, viewer, code, choice)
    content = answer_csv(answer) if kind == "csv" else answer_xlsx(answer)
    media = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[kind]
    record_export(
        request,
        viewer.principal,
        indicator=answer.indicator.code,
        summary=f"{kind} from the indicator page: {answer.cell_count} values of "
        f"{len(answer.series)} series; query {request.url.query}",
    )
    stamp = datetime.now(ZoneInfo(app_settings(request).timezone)).strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="{answer.indicator.code}-{stamp}.{kind}"'
    return Response(content, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/indicators/{code}/data.csv")
def download_csv(
    request: Request,
    session: DbSession,
    viewer: Exporter,
    code: str,
    transform: Transform = Transform.NONE,
    area: Annotated[list[str] | None, Query()] = None,
    start: Annotated[str | None, Query(max_length=30)] = None,
    end: Annotated[str | None, Query(max_length=30)] = None,
    as_of: Annotated[str | None, Query(max_length=30)] = None,
    chart: Annotated[str, Query(max_length=10)] = "line",
) -> Response:
    choice = _choice(transform, area, start, end, as_of, chart)
    return _download(request, session, viewer, code, choice, "csv")


@router.get("/indicators/{code}/data.xlsx")
def download_xlsx(
    request: Request,
    session: DbSession,
    viewer: Exporter,
    code: str,
    transform: Transform = Transform.NONE,
    area: Annotated[list[str] | None, Query()] = None,
    start: Annotated[str | None, Query(max_length=30)] = None,
    end: Annotated[str | None, Query(max_length=30)] = None,
    as_of: Annotated[str | None, Query(max_length=30)] = None,
    chart: Annotated[str, Query(max_length=10)] = "line",
) -> Response:
    choice = _choice(transform, area, start, end, as_of, chart)
    return _download(request, session, viewer, code, choice, "xlsx")


section = PageSection(
    router,
    nav=(NavEntry("/indicators", "Chỉ tiêu", "Indicators", Permission.DATA_READ, order=20),),
)
