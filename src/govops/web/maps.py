"""The map of the provinces and each province's profile.

A period that ends before 1 July 2025 is drawn on the 63 provinces of its time, a later
one on the 34 of the merger. Boundaries ship with the package (``static/geo``, built by
``scripts/build_geo.py`` from geoBoundaries, CC BY 4.0); no map tile comes from outside.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Query, Request, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.areas import area_at, predecessors_of, successors_of
from govops.catalog.models import Area, AreaLineage, Indicator
from govops.catalog.service import find_indicators, get_indicator
from govops.core.api import app_settings, parse_date
from govops.core.errors import InvalidRequest, NotFound
from govops.core.periods import Frequency, Period
from govops.datastore.analytics import DataAnswer, DataQuery, run_query
from govops.datastore.answers import AnswerCache
from govops.datastore.models import Series
from govops.datastore.query import ALL_PROVINCES
from govops.datastore.transforms import Transform
from govops.security.permissions import Permission, Principal
from govops.web import i18n
from govops.web.auth import DbSession, Viewer, require_page
from govops.web.i18n import N_
from govops.web.room import catalogue_version, headline_codes
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.DATA_READ)]
MERGER = date(2025, 7, 1)
DEFAULT_INDICATOR = "EXPORTS"
MAP_FREQUENCIES = {Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.HALF_YEARLY, Frequency.YEARLY}


def boundaries_for(period: Period) -> str:
    """The boundary file of the provinces that existed at the period's end."""
    return "geo/provinces-34.json" if period.end >= MERGER else "geo/provinces-63.json"


def latest_period(session: Session, indicator: Indicator) -> Period | None:
    newest = session.scalar(
        select(func.max(Series.latest_period_start)).where(Series.indicator_id == indicator.id)
    )
    return None if newest is None else Period(Frequency(indicator.frequency), newest)


def provinces_answer(
    session: Session, indicator: Indicator, period: Period, transform: Transform, viewer: Principal
) -> DataAnswer:
    query = DataQuery(
        indicator=indicator.code,
        areas=(ALL_PROVINCES,),
        first=period.code,
        last=period.code,
        transform=transform,
        at=period.end,
    )
    return run_query(session, query, visible_to=viewer)


@router.get("/map")
def map_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    indicator: Annotated[str, Query(max_length=60)] = DEFAULT_INDICATOR,
    period: Annotated[str | None, Query(max_length=30)] = None,
    transform: Transform = Transform.NONE,
) -> Response:
    chosen = mappable_indicator(session, indicator, viewer.principal)
    frequency = Frequency(chosen.frequency)
    shown = Period.parse_for(period, frequency) if period else latest_period(session, chosen)
    answer = (
        provinces_answer(session, chosen, shown, transform, viewer.principal) if shown else None
    )
    context = {
        "indicator": chosen,
        "indicators": mappable(session, viewer.principal),
        "period": shown,
        "transform": transform,
        "answer": answer,
        "rows": _ranked(answer),
        "map_spec": map_spec(answer, shown, viewer.language) if answer and shown else None,
    }
    return render(request, viewer, "map.html", context)


def mappable_indicator(session: Session, code: str, viewer: Principal) -> Indicator:
    """The indicator of ``code``, refused when the map cannot show its frequency."""
    chosen = get_indicator(session, code, visible_to=viewer)
    frequency = Frequency(chosen.frequency)
    if frequency not in MAP_FREQUENCIES:
        raise InvalidRequest(
            f"{chosen.code} is {frequency.label_en.lower()}; the map shows monthly, quarterly, "
            "half-yearly and yearly indicators",
            field="indicator",
        )
    return chosen


@dataclass(frozen=True)
class LatestMap:
    """An indicator's map for its latest period, as wall mode shows it."""

    indicator: Indicator
    period: Period | None
    spec: dict[str, Any] | None


def latest_map(session: Session, code: str, viewer: Principal, language: str) -> LatestMap:
    indicator = mappable_indicator(session, code, viewer)
    period = latest_period(session, indicator)
    if period is None:
        return LatestMap(indicator, None, None)
    answer = provinces_answer(session, indicator, period, Transform.NONE, viewer)
    return LatestMap(indicator, period, map_spec(answer, period, language, wall=True))


def mappable(session: Session, viewer: Principal) -> list[Indicator]:
    found = find_indicators(session, visible_to=viewer, limit=100_000)
    return [i for i in found if Frequency(i.frequency) in MAP_FREQUENCIES]


@dataclass(frozen=True)
class Ranked:
    rank: int | None
    area: Area
    value: Decimal | None


def _ranked(answer: DataAnswer | None) -> list[Ranked]:
    if answer is None:
        return []
    values = [(s.area, s.points[0].value if s.points else None) for s in answer.series]
    known = sorted((v for v in values if v[1] is not None), key=lambda v: v[1], reverse=True)  # type: ignore[arg-type, return-value]
    ranks = {area.code: n for n, (area, _) in enumerate(known, start=1)}
    rows = [Ranked(ranks.get(area.code), area, value) for area, value in values]
    return sorted(rows, key=lambda row: (row.rank is None, row.rank or 0, row.area.code))


# Light for low values, dark for high ones: the way a reader expects a choropleth to read.
COLOUR_SCALE = [
    [0.0, "#eff3ff"],
    [0.25, "#bdd7e7"],
    [0.5, "#6baed6"],
    [0.75, "#2171b5"],
    [1.0, "#08306b"],
]
# The archipelagos belong to Đà Nẵng and Khánh Hòa; their islets are too small to see at the
# scale of the country, so each is named on the map where it lies.
# The name of Trường Sa, at the map's eastern edge, is written to the west of it.
ARCHIPELAGOS = (
    (N_("Hoàng Sa archipelago"), 16.45, 112.05, "bottom center"),
    (N_("Trường Sa archipelago"), 10.25, 114.35, "bottom left"),
)
WALL_INK = "#f0f3f6"


def map_spec(
    answer: DataAnswer, period: Period, language: str, *, wall: bool = False
) -> dict[str, Any]:
    """Plotly's choropleth of the provinces, the archipelagos named, the legend in the unit.

    ``wall`` draws it for wall mode: light ink on the dark screen, larger type.
    """
    gettext = i18n.translations(language).gettext
    transformed = answer.transform is not Transform.NONE
    unit = gettext(answer.unit) if transformed else _unit(answer, language)
    layout: dict[str, Any] = {
        "geo": {
            "fitbounds": "locations",
            "visible": False,
            "projection": {"type": "mercator"},
            "bgcolor": "rgba(0,0,0,0)",
        },
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "separators": ",." if language == "vi" else ".,",
        "font": {"family": "system-ui, sans-serif", "size": 14},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
    }
    if wall:
        layout["font"] = {"family": "system-ui, sans-serif", "size": 24, "color": WALL_INK}
    return {
        "data": [_choropleth(answer, unit, language), _archipelagos(gettext, wall)],
        "layout": layout,
        "geojson": "/static/" + boundaries_for(period),
        "profile": "/provinces/",
        "profileQuery": f"?at={period.end.isoformat()}",
    }


def _choropleth(answer: DataAnswer, unit: str, language: str) -> dict[str, Any]:
    codes, values, names = [], [], []
    for series in answer.series:
        value = series.points[0].value if series.points else None
        codes.append(series.area.code)
        values.append(None if value is None else float(value))
        names.append(series.area.name_vi if language == "vi" else series.area.name_en)
    places = answer.decimals
    return {
        "type": "choropleth",
        "featureidkey": "properties.code",
        "locations": codes,
        "z": values,
        "text": names,
        "hovertemplate": f"%{{text}}: %{{z:,.{places}f}} {unit}<extra></extra>",
        "colorscale": COLOUR_SCALE,
        "marker": {"line": {"color": "#ffffff", "width": 0.6}},
        "colorbar": {"title": {"text": unit, "side": "right"}, "separatethousands": True},
    }


def _archipelagos(gettext: Callable[[str], str], wall: bool) -> dict[str, Any]:
    return {
        "type": "scattergeo",
        "mode": "markers+text",
        "lat": [lat for _, lat, _, _ in ARCHIPELAGOS],
        "lon": [lon for _, _, lon, _ in ARCHIPELAGOS],
        "text": [gettext(name) for name, _, _, _ in ARCHIPELAGOS],
        "textposition": [position for _, _, _, position in ARCHIPELAGOS],
        "textfont": {"color": WALL_INK if wall else "#1b1f24"},
        "marker": {"size": 5, "color": WALL_INK if wall else "#08306b", "symbol": "circle-open"},
        "hoverinfo": "skip",
        "name": "archipelagos",
    }


def _unit(answer: DataAnswer, language: str) -> str:
    """The unit as the reader's language names it (symbols such as "USD mn" are English)."""
    unit = answer.indicator.unit
    if unit.symbol == "%":
        return unit.symbol
    return unit.name_vi if language == "vi" else unit.name_en


@dataclass(frozen=True)
class KeyFigure:
    indicator: Indicator
    period: Period | None
    value: Decimal | None
    decimals: int
    rank: int | None
    of: int


@router.get("/provinces/{code}")
def province_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    code: str,
    at: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    today = datetime.now(ZoneInfo(app_settings(request).timezone)).date()
    day = parse_date(at, field="at") or today
    area = area_at(session, code, day)
    rankings = Rankings(session, request.app.state.answers, viewer.principal)
    figures = []
    for indicator_code in headline_codes(app_settings(request).data_dir):
        figure = _key_figure(session, indicator_code, area, rankings)
        if figure is not None:
            figures.append(figure)
    context = {
        "area": area,
        "on": day,
        "figures": figures,
        "predecessors": _predecessors(session, area),
        "successors": successors_of(session, area),
        "last_day": last_day,
    }
    return render(request, viewer, "province.html", context)


def _predecessors(session: Session, area: Area) -> list[tuple[Area, AreaLineage]]:
    return [(old, edge) for old, edge in predecessors_of(session, area) if old.id != area.id]


def last_day(area: Area) -> date | None:
    """The last day an area version existed (``valid_to`` is the first day it did not)."""
    return None if area.valid_to is None else area.valid_to - timedelta(days=1)


@dataclass(frozen=True)
class Ranking:
    """The provinces of a period by value: each one's rank and value, by area id."""

    decimals: int
    places: dict[int, tuple[int | None, Decimal | None]]

    @property
    def known(self) -> int:
        return sum(1 for _, value in self.places.values() if value is not None)


class Rankings:
    """Rankings of the provinces, kept in the server's answer cache: the 34 profiles of a
    month share the same nine, read once while the data stays the same."""

    def __init__(self, session: Session, cache: AnswerCache, viewer: Principal) -> None:
        self.session, self.cache, self.viewer = session, cache, viewer
        self.version = catalogue_version(session)

    def of(self, indicator: Indicator, period: Period) -> Ranking:
        viewer = self.viewer
        key = (
            "province-ranking",
            indicator.code,
            period.code,
            viewer.clearance,
            viewer.agency_id,
            viewer.scope,
            self.version,
        )

        def make() -> bytes:
            answer = provinces_answer(self.session, indicator, period, Transform.NONE, viewer)
            places = {row.area.id: (row.rank, row.value) for row in _ranked(answer)}
            # Our own objects, read back by this process alone: pickle keeps the Decimals.
            return pickle.dumps(Ranking(answer.decimals, places))

        ranking: Ranking = pickle.loads(self.cache.get_or_make(key, make))
        return ranking


def _key_figure(session: Session, code: str, area: Area, rankings: Rankings) -> KeyFigure | None:
    try:
        indicator = get_indicator(session, code, visible_to=rankings.viewer)
    except NotFound:
        return None
    frequency = Frequency(indicator.frequency)
    period = latest_period(session, indicator)
    if frequency not in MAP_FREQUENCIES or period is None:
        return None
    ended = last_day(area)
    if ended is not None and period.end > ended:
        # A province that no longer exists: its last period, among the provinces of then.
        period = Period.containing(frequency, ended)
    ranking = rankings.of(indicator, period)
    rank, value = ranking.places.get(area.id, (None, None))
    if value is None:
        return None
    return KeyFigure(indicator, period, value, ranking.decimals, rank, ranking.known)


section = PageSection(
    router,
    nav=(NavEntry("/map", "Bản đồ", "Map", Permission.DATA_READ, order=25),),
)
