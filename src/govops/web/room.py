"""What the situation room shows: headline cards, data freshness, the programme's scorecard.

The list of headline indicators is the administrator's to edit. It is kept as a small
JSON file in the data folder (``headlines.json``) rather than a table, so that it can be
copied between servers with the rest of a deployment's configuration; several servers
behind one address must share the data folder, or show their own lists.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.areas import NATION_CODE
from govops.catalog.models import Indicator, IndicatorGroup, group_member
from govops.catalog.service import find_indicators, get_indicator
from govops.core.errors import InvalidRequest, NotFound
from govops.core.periods import Frequency, Period
from govops.datastore.analytics import DataQuery, Point, run_query
from govops.datastore.answers import AnswerCache
from govops.datastore.coverage import GroupCoverage, IndicatorCoverage, coverage_report
from govops.datastore.transforms import Transform
from govops.security.permissions import Principal

HEADLINES_FILE = "headlines.json"
# The monthly report to the Government opens with these.
DEFAULT_HEADLINES = (
    "GDP_GROWTH_Q",
    "CPI",
    "IIP",
    "RETAIL_SALES",
    "EXPORTS",
    "IMPORTS",
    "FDI_DISBURSED",
    "BUDGET_REVENUE",
    "PUBLIC_INVESTMENT_DISBURSED",
)
MAX_HEADLINES = 24
# Enough history for the trend line and the same period of the year before.
HISTORY_DAYS = 3 * 366
SPARK_POINTS = 13


def headline_codes(data_dir: Path) -> list[str]:
    """The administrator's list, or the default one when none was saved."""
    path = data_dir / HEADLINES_FILE
    if not path.exists():
        return list(DEFAULT_HEADLINES)
    codes = json.loads(path.read_text(encoding="utf-8"))
    return [str(code) for code in codes]


def parse_headline_list(session: Session, text: str) -> list[str]:
    """Codes from a text of one code a line; each must be in the catalogue."""
    codes = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.strip().upper()
        if not code or code in codes:
            continue
        try:
            get_indicator(session, code)
        except NotFound:
            raise InvalidRequest(
                f"line {number}: '{code}' is not an indicator code", field="codes", line=number
            ) from None
        codes.append(code)
    if not codes:
        raise InvalidRequest("the list is empty; give at least one indicator code", field="codes")
    if len(codes) > MAX_HEADLINES:
        raise InvalidRequest(
            f"{len(codes)} codes; the situation room shows at most {MAX_HEADLINES}",
            field="codes",
        )
    return codes


def save_headline_codes(data_dir: Path, codes: list[str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / HEADLINES_FILE
    staged = path.with_suffix(".json.new")
    staged.write_text(json.dumps(codes, indent=1), encoding="utf-8")
    staged.replace(path)  # a reader never sees half a list


@dataclass(frozen=True)
class Named:
    """What a card shows of an indicator or a unit: names apart from the session."""

    code: str
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class CardIndicator(Named):
    unit: Named


def card_indicator(indicator: Indicator) -> CardIndicator:
    unit = indicator.unit
    return CardIndicator(
        indicator.code,
        indicator.name_vi,
        indicator.name_en,
        Named(unit.code, unit.name_vi, unit.name_en),
    )


@dataclass(frozen=True)
class Card:
    indicator: CardIndicator
    period: Period | None
    value: Decimal | None
    change: Decimal | None
    change_unit: str
    decimals: int
    trend: tuple[Decimal, ...]

    @property
    def spark_points(self) -> str:
        """The trend as SVG polyline points in a 100 × 30 box."""
        return spark_points(self.trend)


def spark_points(values: tuple[Decimal, ...]) -> str:
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    spread = (high - low) or Decimal(1)
    step = Decimal(100) / (len(values) - 1)
    return " ".join(
        f"{float(step * i):.1f},{float(28 - (value - low) / spread * 26):.1f}"
        for i, value in enumerate(values)
    )


def headline_cards(
    session: Session, codes: list[str], viewer: Principal, today: date
) -> list[Card]:
    """A card per indicator the viewer may see, in the list's order."""
    cards = []
    for code in codes:
        try:
            cards.append(headline_card(session, code, viewer, today))
        except NotFound:
            continue  # removed from the catalogue, or above the viewer's clearance
    return cards


def headline_card(session: Session, code: str, viewer: Principal, today: date) -> Card:
    indicator = get_indicator(session, code, visible_to=viewer)
    frequency = Frequency(indicator.frequency)
    first = Period.containing(frequency, today - timedelta(days=HISTORY_DAYS)).code
    levels = _nation(session, code, first, Transform.NONE, viewer)
    known = [point for point in levels.points if point.value is not None]
    shown = card_indicator(indicator)
    if not known:
        return Card(shown, None, None, None, "", indicator.decimals, ())
    latest = known[-1]
    change, change_unit = _change_on_last_year(session, indicator, known, viewer)
    trend = tuple(point.value for point in known[-SPARK_POINTS:] if point.value is not None)
    return Card(shown, latest.period, latest.value, change, change_unit, levels.decimals, trend)


def _change_on_last_year(
    session: Session, indicator: Indicator, known: list[Point], viewer: Principal
) -> tuple[Decimal | None, str]:
    latest = known[-1]
    try:
        changes = _nation(
            session, indicator.code, latest.period.code, Transform.YEAR_ON_YEAR, viewer
        )
    except InvalidRequest:
        # An indicator without a time rule (a growth rate itself) refuses the transform;
        # a rate's change is still its difference in points from the same period.
        if indicator.unit.symbol != "%":
            return None, ""
        before = latest.period.same_period_last_year()
        earlier = next((p.value for p in known if p.period == before), None)
        if earlier is None or latest.value is None:
            return None, "percentage points"
        return latest.value - earlier, "percentage points"
    change = next((p.value for p in changes.points if p.period == latest.period), None)
    return change, changes.unit


@dataclass(frozen=True)
class _Line:
    points: list[Point]
    unit: str
    decimals: int


def _nation(
    session: Session, code: str, first: str, transform: Transform, viewer: Principal
) -> _Line:
    query = DataQuery(indicator=code, areas=(NATION_CODE,), first=first, transform=transform)
    answer = run_query(session, query, visible_to=viewer)
    return _Line(answer.series[0].points, answer.unit, answer.decimals)


@dataclass(frozen=True)
class Scorecard:
    groups: list[GroupCoverage]
    late: list[IndicatorCoverage]


def scorecard(session: Session, viewer: Principal, today: date) -> Scorecard:
    """Coverage by group; the late indicators named only when the viewer may see them.

    Shares count every indicator, as the programme's targets do.
    """
    groups = coverage_report(session, today)
    visible = {i.code for i in find_indicators(session, visible_to=viewer, limit=100_000)}
    late: dict[str, IndicatorCoverage] = {}
    for group in groups:
        for item in group.indicators:
            if not item.covered and item.code in visible:
                late.setdefault(item.code, item)
    return Scorecard(groups, sorted(late.values(), key=lambda item: item.code))


@dataclass(frozen=True)
class AgencyCoverage:
    name: str
    total: int
    covered: int
    missing: list[str]


def coverage_by_agency(
    session: Session, score: Scorecard, viewer: Principal, language: str
) -> list[AgencyCoverage]:
    """The indicators the viewer may see, by owner agency: how many are current."""
    covered = {item.code: item.covered for group in score.groups for item in group.indicators}
    rows: dict[str, list[Indicator]] = {}
    for indicator in find_indicators(session, visible_to=viewer, limit=100_000):
        owner = indicator.owner
        name = "–" if owner is None else owner.name_vi if language == "vi" else owner.name_en
        rows.setdefault(name, []).append(indicator)
    return [
        AgencyCoverage(
            name,
            len(indicators),
            sum(1 for i in indicators if covered.get(i.code)),
            [i.code for i in indicators if i.code in covered and not covered[i.code]],
        )
        for name, indicators in sorted(rows.items())
    ]


@dataclass(frozen=True)
class RoomFigures:
    cards: list[Card]
    score: Scorecard


def room_figures(
    session: Session, cache: AnswerCache, codes: list[str], viewer: Principal, today: date
) -> RoomFigures:
    """The headline cards and the scorecard, read once for as long as the data stays the same.

    Every page of the room and every wall screen asks for the same figures all day; they
    are kept in the server's answer cache under the catalogue's version, which any write of
    data or change of the catalogue moves on, and under what decides the viewer's sight.
    """
    key = (
        "situation-room",
        tuple(codes),
        viewer.clearance,
        viewer.agency_id,
        viewer.scope,
        today,
        catalogue_version(session),
    )

    def make() -> bytes:
        figures = RoomFigures(
            headline_cards(session, codes, viewer, today), scorecard(session, viewer, today)
        )
        # Our own objects, read back by this process alone: pickle keeps Decimal and Period.
        return pickle.dumps(figures)

    figures: RoomFigures = pickle.loads(cache.get_or_make(key, make))
    return figures


def catalogue_version(session: Session) -> tuple[object, ...]:
    """Moves on with any write of data, any change of an indicator or of areas (each moves
    an indicator's data version), a new indicator, a group's members or target."""
    indicators = session.execute(
        select(func.count(Indicator.id), func.coalesce(func.sum(Indicator.data_version), 0))
    ).one()
    groups = session.execute(
        select(func.count(IndicatorGroup.id), func.sum(IndicatorGroup.coverage_target))
    ).one()
    members = session.scalar(select(func.count()).select_from(group_member))
    return (*indicators, *groups, members)
