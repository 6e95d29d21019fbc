"""The checks that find what needs attention, each answering findings with their evidence.

    kind               what it watches                      cause (one open warning each)
    target_at_risk     every current target                 target/<id>
    data_late          every indicator that has data        late/<indicator>/<due period>
    threshold          a rule's series, latest value        threshold/<rule>/<period>
    sudden_change      a rule's series, latest change       sudden/<rule>/<period>
    outside_forecast   a rule's series, latest value        outside/<rule>/<period>

A target's and a late indicator's warnings describe a state: when the state passes, the
check closes them. The others describe an event in one period and stay until someone
acknowledges them.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.alerts.charts import series_chart, target_chart
from govops.alerts.models import AlertRule
from govops.catalog.models import Area, Indicator
from govops.core.periods import Frequency, Period
from govops.datastore.coverage import RELEASE_LAG_DAYS, latest_due_period
from govops.datastore.models import Series
from govops.datastore.query import PeriodRange, SeriesReader
from govops.forecasting.service import forecasts_for_period
from govops.targets.assessment import Assessment, Status, assess_all
from govops.targets.service import describe_goal, goal_of, list_targets

RECENT_PERIODS = 36


class WarningKind(StrEnum):
    TARGET_AT_RISK = "target_at_risk"
    DATA_LATE = "data_late"
    THRESHOLD = "threshold"
    SUDDEN_CHANGE = "sudden_change"
    OUTSIDE_FORECAST = "outside_forecast"

    @property
    def closes_itself(self) -> bool:
        """Whether the warning describes a state that a later check can see has passed."""
        return self in (WarningKind.TARGET_AT_RISK, WarningKind.DATA_LATE)


class Severity(StrEnum):
    """The CAP 1.2 severities, mildest first."""

    MINOR = "minor"
    MODERATE = "moderate"
    SEVERE = "severe"
    EXTREME = "extreme"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


@dataclass
class Finding:
    kind: WarningKind
    cause: str
    severity: Severity
    title_vi: str
    title_en: str
    evidence: dict[str, Any]
    indicator_id: int | None = None
    area_id: int | None = None
    period: str | None = None
    target_id: int | None = None
    rule_id: int | None = None


@dataclass
class CheckContext:
    session: Session
    today: date
    findings: list[Finding] = field(default_factory=list)


Check = Callable[[CheckContext], None]


# --- targets -----------------------------------------------------------------------------

TARGET_SEVERITY = {
    Status.AT_RISK: Severity.MODERATE,
    Status.OFF_TRACK: Severity.SEVERE,
    Status.MISSED: Severity.SEVERE,
}


def check_targets(ctx: CheckContext) -> None:
    """A target at risk, off track or missed: the probability and what it follows from."""
    for item in assess_all(ctx.session, list_targets(ctx.session)):
        severity = TARGET_SEVERITY.get(item.status)
        if severity is not None:
            ctx.findings.append(_target_finding(item, severity))


def _target_finding(item: Assessment, severity: Severity) -> Finding:
    indicator, area, period = item.indicator, item.area, item.period.code
    goal = describe_goal(goal_of(item.target))
    likely = "" if item.probability is None else f"{item.probability:.0%}"
    if item.status is Status.MISSED:
        title_vi = f"Không đạt mục tiêu {indicator.name_vi} {period} ({area.name_vi})"
        title_en = f"Target missed: {indicator.name_en} {period} ({area.name_en})"
    else:
        status_vi = item.status.label_vi.lower()
        title_vi = (
            f"Mục tiêu {indicator.name_vi} {period} ({area.name_vi}) {status_vi}: "
            f"khả năng đạt {likely}"
        )
        title_en = (
            f"Target {item.status.label_en}: {indicator.name_en} {period} ({area.name_en}) "
            f"{goal}, {likely} likely"
        )
    evidence = {
        "target": {"id": item.target.id, "goal": goal, "basis": item.target.basis},
        "status": item.status.value,
        "probability": _round(item.probability),
        "value": None if item.value is None else str(item.value),
        "expected": _round(item.expected),
        "interval80": [_round(item.lo80), _round(item.hi80)],
        "latest": {
            "period": item.latest_period.code if item.latest_period else None,
            "value": None if item.latest_value is None else str(item.latest_value),
        },
        "known_periods": item.known_parts,
        "periods": item.parts,
        "method": item.method,
        "chart": target_chart(
            title_vi,
            indicator.unit.name_vi,
            item.expected,
            (item.lo80, item.hi80),
            goal_of(item.target).bounds(),
        ),
        "proposed_action_vi": (
            f"Đề nghị cơ quan chủ trì báo cáo nguyên nhân và giải pháp bảo đảm đạt mục tiêu "
            f"{indicator.name_vi} {period}."
        ),
        "proposed_action_en": (
            f"Ask the lead agency to report the causes and the measures that will bring "
            f"{indicator.name_en} {period} back on track."
        ),
    }
    return Finding(
        WarningKind.TARGET_AT_RISK,
        f"target/{item.target.id}",
        severity,
        title_vi,
        title_en,
        evidence,
        indicator_id=indicator.id,
        area_id=area.id,
        period=period,
        target_id=item.target.id,
    )


# --- late data ---------------------------------------------------------------------------


def check_late_data(ctx: CheckContext) -> None:
    """An indicator whose latest due period has not arrived, though it has arrived before.

    An indicator that has never had data is a gap in coverage, not a late delivery; the
    coverage report counts it. A derived indicator is late only through its inputs, which
    are checked themselves.
    """
    newest = dict(
        ctx.session.execute(
            select(Series.indicator_id, func.max(Series.latest_period_start)).group_by(
                Series.indicator_id
            )
        ).all()
    )
    for indicator in ctx.session.scalars(select(Indicator).order_by(Indicator.code)):
        start = newest.get(indicator.id)
        if start is None or indicator.formula:
            continue
        frequency = Frequency(indicator.frequency)
        due = latest_due_period(frequency, ctx.today, start)
        if due is not None and start < due.start:
            ctx.findings.append(_late_finding(indicator, Period(frequency, start), due))


def _late_finding(indicator: Indicator, latest: Period, due: Period) -> Finding:
    frequency = Frequency(indicator.frequency)
    behind = len(Period.span(latest, due)) - 1
    severity = Severity.MINOR if behind == 1 else Severity.MODERATE
    if behind >= 3:
        severity = Severity.SEVERE
    return Finding(
        WarningKind.DATA_LATE,
        f"late/{indicator.code}/{due.code}",
        severity,
        f"Chưa nhận được số liệu {indicator.name_vi} kỳ {due.code}",
        f"{indicator.name_en}: figures for {due.code} have not arrived",
        {
            "due_period": due.code,
            "due_since": (due.end + timedelta(days=RELEASE_LAG_DAYS[frequency])).isoformat(),
            "latest_period": latest.code,
            "periods_behind": behind,
            "release_lag_days": RELEASE_LAG_DAYS[frequency],
            "owner_agency": indicator.owner.code if indicator.owner else None,
        },
        indicator_id=indicator.id,
        period=due.code,
    )


# --- rules on one series -----------------------------------------------------------------


@dataclass(frozen=True)
class SeriesPoint:
    period: Period
    value: float


def recent_points(session: Session, indicator: Indicator, area: Area) -> list[SeriesPoint]:
    """The series' latest actuals (up to three years of them), oldest first."""
    series = SeriesReader(session, indicator).read(area, PeriodRange(None, None))
    frequency = Frequency(indicator.frequency)
    points = [
        SeriesPoint(Period(frequency, start), float(cell.value))
        for start, cell in sorted(series.cells.items())
        if cell.value is not None and cell.status not in ("F", "M")
    ]
    return points[-RECENT_PERIODS:]


def check_rules(ctx: CheckContext, rules: list[AlertRule]) -> None:
    for rule in rules:
        check_rule(ctx, rule)


def check_rule(ctx: CheckContext, rule: AlertRule) -> None:
    indicator = ctx.session.get_one(Indicator, rule.indicator_id)
    area = ctx.session.get_one(Area, rule.area_id)
    points = recent_points(ctx.session, indicator, area)
    if not points:
        return
    params = json.loads(rule.params or "{}")
    finder = RULE_FINDERS[WarningKind(rule.kind)]
    finding = finder(ctx, rule, indicator, area, points, params)
    if finding is not None:
        ctx.findings.append(finding)


def _threshold(
    ctx: CheckContext,
    rule: AlertRule,
    indicator: Indicator,
    area: Area,
    points: list[SeriesPoint],
    params: dict[str, Any],
) -> Finding | None:
    latest = points[-1]
    if params.get("above") is not None:
        line, side_vi, side_en = float(params["above"]), "vượt lên trên", "above"
        crossed = latest.value > line
    else:
        line, side_vi, side_en = float(params["below"]), "xuống dưới", "below"
        crossed = latest.value < line
    if not crossed:
        return None
    return _series_finding(
        rule,
        indicator,
        area,
        latest,
        f"threshold/{rule.id}/{latest.period.code}",
        f"{indicator.name_vi} ({area.name_vi}) kỳ {latest.period.code} {side_vi} ngưỡng {line:g}",
        f"{indicator.name_en} ({area.name_en}) {latest.period.code} is {side_en} the "
        f"threshold {line:g}",
        {"value": latest.value, "threshold": line, "side": side_en},
        series_chart(indicator, area, points, lines={f"threshold {line:g}": line}),
    )


def _sudden_change(
    ctx: CheckContext,
    rule: AlertRule,
    indicator: Indicator,
    area: Area,
    points: list[SeriesPoint],
    params: dict[str, Any],
) -> Finding | None:
    """The latest change against the spread of earlier changes (a z-score).

    Seasonal series are compared year on year when three years are known, so that Tết
    in January is not a sudden change every year.
    """
    lag = _season(Frequency(indicator.frequency)) if len(points) >= 36 else 1
    changes = [b.value - a.value for a, b in zip(points, points[lag:], strict=False)]
    if len(changes) < 6:
        return None
    latest, earlier = changes[-1], changes[:-1]
    spread = statistics.stdev(earlier)
    mean = statistics.fmean(earlier)
    z = math.inf if spread == 0 else (latest - mean) / spread
    limit = float(params.get("z", 3))
    if abs(z) < limit or (spread == 0 and latest == mean):
        return None
    point = points[-1]
    return _series_finding(
        rule,
        indicator,
        area,
        point,
        f"sudden/{rule.id}/{point.period.code}",
        f"Biến động bất thường: {indicator.name_vi} ({area.name_vi}) kỳ {point.period.code}",
        f"Sudden change: {indicator.name_en} ({area.name_en}) {point.period.code}",
        {
            "value": point.value,
            "change": latest,
            "compared_with": "same period a year earlier" if lag > 1 else "previous period",
            "mean_change": mean,
            "spread_of_changes": spread,
            "z": None if math.isinf(z) else round(z, 2),
            "z_limit": limit,
        },
        series_chart(indicator, area, points),
    )


def _outside_forecast(
    ctx: CheckContext,
    rule: AlertRule,
    indicator: Indicator,
    area: Area,
    points: list[SeriesPoint],
    params: dict[str, Any],
) -> Finding | None:
    """The latest actual against the newest forecast of it made before it arrived."""
    latest = points[-1]
    past = forecasts_for_period(
        ctx.session, indicator=indicator.code, area=area.code, period=latest.period
    )
    earlier = [item for item in past if item.point.period == latest.period]
    if not earlier:
        return None
    forecast = earlier[0]
    level = int(params.get("level", 95))
    point = forecast.point
    low, high = (point.lo95, point.hi95) if level == 95 else (point.lo80, point.hi80)
    if low <= latest.value <= high:
        return None
    return _series_finding(
        rule,
        indicator,
        area,
        latest,
        f"outside/{rule.id}/{latest.period.code}",
        f"{indicator.name_vi} ({area.name_vi}) kỳ {latest.period.code} nằm ngoài khoảng dự "
        f"báo {level}%",
        f"{indicator.name_en} ({area.name_en}) {latest.period.code} is outside its {level}% "
        "forecast interval",
        {
            "value": latest.value,
            "forecast": {
                "id": forecast.forecast_id,
                "model": forecast.model,
                "made_at": forecast.made_at.isoformat(),
                "mean": point.mean,
                "low": low,
                "high": high,
                "level": level,
            },
        },
        series_chart(indicator, area, points, band=(latest.period, low, high)),
    )


def _series_finding(
    rule: AlertRule,
    indicator: Indicator,
    area: Area,
    point: SeriesPoint,
    cause: str,
    title_vi: str,
    title_en: str,
    numbers: dict[str, Any],
    chart: dict[str, Any],
) -> Finding:
    return Finding(
        WarningKind(rule.kind),
        cause,
        Severity(rule.severity),
        title_vi,
        title_en,
        {"rule": {"id": rule.id, "name": rule.name}, **numbers, "chart": chart},
        indicator_id=indicator.id,
        area_id=area.id,
        period=point.period.code,
        rule_id=rule.id,
    )


def _season(frequency: Frequency) -> int:
    return {Frequency.MONTHLY: 12, Frequency.QUARTERLY: 4}.get(frequency, 1)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


RuleFinder = Callable[
    [CheckContext, AlertRule, Indicator, Area, list[SeriesPoint], dict[str, Any]],
    Finding | None,
]
RULE_FINDERS: dict[WarningKind, RuleFinder] = {
    WarningKind.THRESHOLD: _threshold,
    WarningKind.SUDDEN_CHANGE: _sudden_change,
    WarningKind.OUTSIDE_FORECAST: _outside_forecast,
}
RULE_KINDS = frozenset(RULE_FINDERS)
