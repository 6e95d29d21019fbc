"""What a demo recipe produces (figures), and what it is given (the context).

A recipe makes one indicator's figures as whole numbers of its last decimal place: for
each old province (and sex, when the indicator has that dimension), and for the nation
when the nation's figure is compiled on its own rather than added up from provinces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from govops.catalog.rules import AreaRule
from govops.core.periods import Frequency, Period
from govops.datastore.coverage import latest_due_period
from govops.demo.geography import Geography
from govops.demo.published import PublishedFigures

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
RELEASE_TIME = time(9, 0)
# Periods with a provisional figure and a revision, counted back from the latest one due.
REVISED_PERIODS = 12

ComponentKey = tuple[str, str]  # (old province code, sex code or "")


@dataclass(frozen=True)
class Revision:
    """How far a monthly provisional figure lies from the revised one, as a standard
    deviation: ``relative`` a share of the value, ``absolute`` a number of the last
    decimal place. Only monthly figures are published provisionally first."""

    relative: float = 0.0
    absolute: float = 0.0


NO_REVISION = Revision()


@dataclass
class Figures:
    """One indicator's generated values, in whole units of its last decimal place."""

    code: str
    periods: list[Period]
    components: dict[ComponentKey, list[int]] = field(default_factory=dict)
    national: dict[str, list[int]] = field(default_factory=dict)
    sexes: tuple[str, ...] = ("",)
    revision: Revision = NO_REVISION
    # When each period's figure is first recorded; None: the statistics release calendar.
    release: Callable[[Period], datetime] | None = None

    def index(self, period: Period) -> int | None:
        offset = _offset(self.periods[0], period) if self.periods else -1
        return offset if 0 <= offset < len(self.periods) else None


def _offset(first: Period, period: Period) -> int:
    if first.frequency is not period.frequency:
        return -1
    if first.frequency is Frequency.DAILY:
        return (period.start - first.start).days
    months = first.frequency.months
    if months is None:
        return -1
    gap = (period.start.year - first.start.year) * 12 + period.start.month - first.start.month
    return gap // months if gap % months == 0 else -1


@dataclass(frozen=True)
class IndicatorFacts:
    """What the catalogue says about an indicator, as the generator needs it."""

    code: str
    frequency: Frequency
    decimals: int
    area_rule: AreaRule
    weight_indicator: str | None
    sexes: tuple[str, ...]
    derived: bool


@dataclass(frozen=True)
class Horizon:
    """The instant the demo is built as of: the latest period of each frequency now due."""

    as_of: datetime

    @property
    def today(self) -> date:
        return self.as_of.astimezone(VIETNAM).date()

    def last(self, frequency: Frequency) -> Period:
        """The latest period due of a calendar frequency (not a multi-year span)."""
        period = latest_due_period(frequency, self.today)
        if period is None:
            raise ValueError(f"{frequency.label_en} periods have no calendar to be due on")
        return period

    def periods(self, first: Period) -> list[Period]:
        last = self.last(first.frequency)
        return Period.span(first, last) if first <= last else []


def at_release_hour(day: date) -> datetime:
    return datetime.combine(day, RELEASE_TIME, tzinfo=VIETNAM)


def release_moment(period: Period) -> datetime:
    """When the statistics office first publishes a period's figures (Decree 62/2024).

    Monthly and quarterly figures on the 6th of the following month, annual ones on
    6 January; daily operational data the next morning. A census is taken as released
    on 6 January after its reference year. The rule that a holiday moves a release to
    the next working day is not applied.
    """
    frequency = period.frequency
    if frequency is Frequency.DAILY:
        return at_release_hour(period.start + timedelta(days=1))
    if frequency.is_multi_year:
        return at_release_hour(date(period.start.year + 1, 1, 6))
    following = period.end + timedelta(days=1)
    return at_release_hour(following.replace(day=6))


@dataclass
class Context:
    """Everything a recipe may use: the horizon, the catalogue, published figures, and the
    provinces of each date."""

    horizon: Horizon
    catalogue: dict[str, IndicatorFacts]
    published: PublishedFigures
    geography: Geography

    def facts(self, code: str) -> IndicatorFacts:
        found = self.catalogue.get(code)
        if found is None:
            raise KeyError(f"indicator {code} is not in the catalogue the demo was built on")
        return found

    def decimals(self, code: str) -> int:
        return self.facts(code).decimals

    def periods(self, code: str, first: str) -> list[Period]:
        return self.horizon.periods(Period.parse_for(first, self.facts(code).frequency))

    def published_value(self, indicator: str, period: str, area: str = "VN") -> Decimal | None:
        return self.published.latest(indicator, area, period)
