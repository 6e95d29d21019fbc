"""Coverage: which indicators have data for their latest due period, by group.

The programme counts an indicator as available in digital data when its value for the
latest period that should have been published by now is in the store. A period is due a
number of days after it ends (the release lag), taken from the indicator's frequency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Indicator, IndicatorGroup
from govops.catalog.service import list_groups
from govops.core.periods import Frequency, Period
from govops.datastore.formula import Formula
from govops.datastore.models import Series

# Days after a period ends by which its first figures are published (the statistics
# office publishes monthly and quarterly figures on the 6th of the following month, the
# annual estimate on 6 January; censuses take far longer).
RELEASE_LAG_DAYS = {
    Frequency.DAILY: 1,
    Frequency.WEEKLY: 3,
    Frequency.MONTHLY: 6,
    Frequency.QUARTERLY: 6,
    Frequency.HALF_YEARLY: 6,
    Frequency.YEARLY: 6,
    Frequency.BIENNIAL: 365,
    Frequency.FIVE_YEARLY: 365,
    Frequency.DECENNIAL: 365,
}


def latest_due_period(
    frequency: Frequency, today: date, history_start: date | None = None
) -> Period | None:
    """The most recent period whose release date has passed.

    Multi-year spans have no calendar grid: their grid is the one through
    ``history_start`` (a period the indicator has), and without one nothing is due.
    """
    lag = timedelta(days=RELEASE_LAG_DAYS[frequency])
    if frequency.is_multi_year:
        if history_start is None:
            return None
        period = Period(frequency, history_start)
        while period.next().end + lag < today:
            period = period.next()
    else:
        period = Period.containing(frequency, today)
    while period.end + lag >= today:
        period = period.previous()
    return period


@dataclass
class IndicatorCoverage:
    code: str
    name_vi: str
    name_en: str
    frequency: str
    due_period: str | None
    latest_period: str | None
    covered: bool


@dataclass
class GroupCoverage:
    code: str
    name_vi: str
    name_en: str
    target: Decimal | None
    indicators: list[IndicatorCoverage] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return sum(1 for item in self.indicators if item.covered)

    @property
    def share(self) -> Decimal:
        if not self.indicators:
            return Decimal(0)
        return (Decimal(self.covered) / len(self.indicators)).quantize(Decimal("0.0001"))

    @property
    def meets_target(self) -> bool | None:
        return None if self.target is None else self.share >= self.target


def coverage_report(session: Session, today: date) -> list[GroupCoverage]:
    latest = _latest_periods(session)
    by_code = {ind.code: ind for ind in session.scalars(select(Indicator))}
    report = []
    for group in list_groups(session):
        report.append(_group_coverage(group, latest, by_code, today))
    return report


def _group_coverage(
    group: IndicatorGroup, latest: dict[int, date], by_code: dict[str, Indicator], today: date
) -> GroupCoverage:
    result = GroupCoverage(group.code, group.name_vi, group.name_en, group.coverage_target)
    for indicator in group.indicators:
        frequency = Frequency(indicator.frequency)
        newest = _newest_start(indicator, latest, by_code)
        due = latest_due_period(frequency, today, newest)
        result.indicators.append(
            IndicatorCoverage(
                indicator.code,
                indicator.name_vi,
                indicator.name_en,
                frequency.value,
                due.code if due else None,
                Period(frequency, newest).code if newest else None,
                newest is not None and due is not None and newest >= due.start,
            )
        )
    return result


def _newest_start(
    indicator: Indicator, latest: dict[int, date], by_code: dict[str, Indicator]
) -> date | None:
    if not indicator.formula:
        return latest.get(indicator.id)
    # A derived indicator is as current as the least current of its inputs.
    inputs = [
        latest.get(by_code[code].id)
        for code in Formula(indicator.formula).inputs
        if code in by_code
    ]
    if not inputs or any(start is None for start in inputs):
        return None
    return min(start for start in inputs if start is not None)


def _latest_periods(session: Session) -> dict[int, date]:
    rows = session.execute(
        select(Series.indicator_id, func.max(Series.latest_period_start)).group_by(
            Series.indicator_id
        )
    )
    return {indicator_id: start for indicator_id, start in rows if start is not None}
