"""Recording plan targets: checking each against the catalogue, storing, listing.

A target is refused, with the field named, when its indicator's values cannot form its
period: a monthly indicator whose time rule is ``none`` (a rate that is not added up or
averaged) cannot give a year, weeks do not make months, and no indicator gives a period
finer than its own frequency.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.areas import area_at
from govops.catalog.models import Area, Indicator
from govops.catalog.rules import TimeRule
from govops.catalog.service import get_indicator
from govops.core.db import now_utc
from govops.core.errors import (
    Conflict,
    GovopsError,
    InvalidRequest,
    NotFound,
    RejectedBatch,
    RowErrors,
)
from govops.core.periods import Frequency, Period, PeriodError
from govops.core.text import nfc
from govops.security import audit
from govops.targets.attainment import Basis, Comparator, Goal
from govops.targets.models import Target, TargetPolicy

log = logging.getLogger(__name__)

MAX_ROWS_PER_LOAD = 5_000
DEFAULT_ON_TRACK_FROM = Decimal("0.7")
DEFAULT_OFF_TRACK_BELOW = Decimal("0.3")


class SourceKind:
    """Who set the target; free text is allowed, these are the usual issuers."""

    NATIONAL_ASSEMBLY_RESOLUTION = "national_assembly_resolution"
    GOVERNMENT_RESOLUTION = "government_resolution"
    PRIME_MINISTER_DECISION = "prime_minister_decision"
    PROVINCIAL_PLAN = "provincial_plan"
    MINISTRY_PLAN = "ministry_plan"
    OTHER = "other"


SOURCE_KINDS = frozenset(
    value for name, value in vars(SourceKind).items() if not name.startswith("_")
)


@dataclass(frozen=True)
class TargetSpec:
    """A target as written in a file or a request body: codes and text, not ids."""

    indicator: str
    area: str
    period: str
    comparator: str
    low: str
    source: str
    source_kind: str = SourceKind.OTHER
    high: str | None = None
    tolerance: str | None = None
    basis: str = Basis.LEVEL.value
    note: str | None = None
    supersedes: str | None = None


@dataclass(frozen=True)
class CheckedTarget:
    indicator: Indicator
    area: Area
    period: Period
    goal: Goal
    basis: Basis
    spec: TargetSpec


@dataclass
class LoadReport:
    created: list[int] = field(default_factory=list)
    unchanged: int = 0


class TargetError(InvalidRequest):
    """A target that cannot be recorded; ``field`` names the part that is wrong."""

    def __init__(self, field_name: str, detail: str) -> None:
        super().__init__(detail, field=field_name)
        self.field = field_name


# --- checking ---------------------------------------------------------------------------


def check_target(session: Session, spec: TargetSpec) -> CheckedTarget:
    """The target resolved against the catalogue, or TargetError naming the field."""
    indicator = _indicator(session, spec.indicator)
    period = _period(spec.period)
    check_period_formable(indicator, period)
    area = _area(session, spec.area, period)
    basis = _choice(Basis, spec.basis, "basis")
    goal = _goal(spec)
    if not nfc(spec.source).strip():
        raise TargetError("source", "a target needs its source, such as 'Resolution 158/2024'")
    return CheckedTarget(indicator, area, period, goal, basis, spec)


def check_period_formable(indicator: Indicator, period: Period) -> None:
    """Refuse a target period that the indicator's values cannot form."""
    native = Frequency(indicator.frequency)
    if period.frequency is native:
        return
    named = f"{indicator.code} is {native.label_en.lower()}"
    if period.frequency.is_finer_than(native):
        raise TargetError(
            "period",
            f"{named}, so it has no value for the shorter period {period.code}; "
            f"give a {native.label_en.lower()} period such as {native.example}",
        )
    if TimeRule(indicator.time_rule) is TimeRule.NONE:
        raise TargetError(
            "period",
            f"{named} and its values are not combined over time (time rule 'none'), so "
            f"they cannot form {period.code}; set the target on a "
            f"{native.label_en.lower()} period or on an indicator measured for the whole "
            "period",
        )
    try:
        period.subperiods(native)
    except PeriodError as error:
        raise TargetError("period", f"{named}: {error}") from error


def _indicator(session: Session, code: str) -> Indicator:
    try:
        return get_indicator(session, code.strip())
    except NotFound as error:
        raise TargetError("indicator", error.detail) from error


def _period(code: str) -> Period:
    try:
        return Period.parse(code)
    except PeriodError as error:
        raise TargetError("period", str(error)) from error


def _area(session: Session, code: str, period: Period) -> Area:
    # The area as it is when the period ends: a 2025 target of a merged province names
    # the province as it has been since July 2025.
    try:
        return area_at(session, code.strip(), period.end)
    except NotFound as error:
        raise TargetError("area", error.detail) from error


Choice = TypeVar("Choice", Comparator, Basis)


def _choice(kind: type[Choice], text: str, field_name: str) -> Choice:
    try:
        return kind(text.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise TargetError(field_name, f"'{text}' is not one of {allowed}") from None


def _goal(spec: TargetSpec) -> Goal:
    comparator = _choice(Comparator, spec.comparator, "comparator")
    low = _number(spec.low, "low")
    high = _number(spec.high, "high") if spec.high not in (None, "") else None
    tolerance = _number(spec.tolerance, "tolerance") if spec.tolerance not in (None, "") else None
    assert low is not None

    if comparator is Comparator.BETWEEN and (high is None or high < low):
        raise TargetError("high", "'between' needs a high figure at least as large as low")
    if comparator is not Comparator.BETWEEN and high is not None:
        raise TargetError("high", f"'{comparator.value}' takes one figure; leave high empty")
    if comparator is Comparator.ABOUT and (tolerance is None or tolerance < 0):
        raise TargetError("tolerance", "'about' needs a tolerance of zero or more")
    if comparator is not Comparator.ABOUT and tolerance is not None:
        raise TargetError("tolerance", "only 'about' takes a tolerance")
    return Goal(comparator, low, high, tolerance)


def _number(text: str | None, field_name: str) -> Decimal | None:
    if text is None:
        raise TargetError(field_name, f"{field_name} is required")
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        reason = f"'{text}' is not a number (write the decimal sign as .)"
        raise TargetError(field_name, reason) from None
    if not value.is_finite():
        raise TargetError(field_name, f"'{text}' is not a finite number")
    return value


# --- storing ----------------------------------------------------------------------------


def create_target(session: Session, spec: TargetSpec, *, by: audit.Actor) -> Target:
    """Check and store one target; Conflict when the same target exists with other figures."""
    return _record(session, spec, by=by)[0]


def _record(session: Session, spec: TargetSpec, *, by: audit.Actor) -> tuple[Target, bool]:
    """The target and whether it is new; the same target with the same figures is kept."""
    checked = check_target(session, spec)
    existing = _same_key(session, checked)
    if existing is not None:
        if _same_figures(existing, checked):
            return existing, False
        raise Conflict(
            f"target {existing.id} from '{existing.source}' already sets {checked.indicator.code}"
            f" for {checked.area.code} {checked.period.code} with other figures; a later "
            "decision is a new target with its own source and 'supersedes'",
            target=existing.id,
        )
    return _store(session, checked, by=by), True


def _store(session: Session, checked: CheckedTarget, *, by: audit.Actor) -> Target:
    spec, goal = checked.spec, checked.goal
    target = Target(
        indicator_id=checked.indicator.id,
        area_id=checked.area.id,
        frequency=checked.period.frequency.value,
        period_start=checked.period.start,
        comparator=goal.comparator.value,
        low=goal.low,
        high=goal.high,
        tolerance=goal.tolerance,
        basis=checked.basis.value,
        source=nfc(spec.source).strip(),
        source_kind=spec.source_kind or SourceKind.OTHER,
        note=nfc(spec.note) if spec.note else None,
        created_at=now_utc(),
        created_by=by.principal.name,
    )
    session.add(target)
    session.flush()
    if spec.supersedes:
        _supersede(session, checked, target)
    audit.record(
        session,
        "target.create",
        by=by,
        object_type="target",
        object_id=target.id,
        summary=f"{checked.indicator.code} {checked.area.code} {checked.period.code}: "
        f"{describe_goal(goal)} ({target.source})",
    )
    return target


def _earlier_target(session: Session, checked: CheckedTarget) -> Target | None:
    indicator_id, area_id, frequency, start = _place(checked)
    return session.scalar(
        select(Target).where(
            Target.indicator_id == indicator_id,
            Target.area_id == area_id,
            Target.frequency == frequency,
            Target.period_start == start,
            Target.source == checked.spec.supersedes,
        )
    )


def _supersede(session: Session, checked: CheckedTarget, target: Target) -> None:
    earlier = _earlier_target(session, checked)
    if earlier is None:
        raise TargetError(
            "supersedes",
            f"no target of {checked.indicator.code} {checked.area.code} {checked.period.code} "
            f"comes from '{checked.spec.supersedes}'",
        )
    earlier.superseded_by_id = target.id


def _same_key(session: Session, checked: CheckedTarget) -> Target | None:
    return session.scalar(
        select(Target).where(
            Target.indicator_id == checked.indicator.id,
            Target.area_id == checked.area.id,
            Target.frequency == checked.period.frequency.value,
            Target.period_start == checked.period.start,
            Target.basis == checked.basis.value,
            Target.source == nfc(checked.spec.source).strip(),
        )
    )


def _same_figures(target: Target, checked: CheckedTarget) -> bool:
    goal = checked.goal
    return (target.comparator, target.low, target.high, target.tolerance) == (
        goal.comparator.value,
        goal.low,
        goal.high,
        goal.tolerance,
    )


def load_targets(
    session: Session, specs: Sequence[tuple[int, TargetSpec]], *, by: audit.Actor
) -> LoadReport:
    """Store every target of a file or request, or none: RejectedBatch lists each bad row.

    Every row is checked before anything is written. Rows already stored with the same
    figures are counted as unchanged, so loading a file twice is harmless.
    """
    if len(specs) > MAX_ROWS_PER_LOAD:
        raise InvalidRequest(
            f"{len(specs)} targets in one load; the limit is {MAX_ROWS_PER_LOAD}. Split the file"
        )
    _check_batch(session, specs)

    report = LoadReport()
    for _, spec in specs:
        target, created = _record(session, spec, by=by)
        if created:
            report.created.append(target.id)
        else:
            report.unchanged += 1
    log.info("loaded targets: %s new, %s unchanged", len(report.created), report.unchanged)
    return report


def _check_batch(session: Session, specs: Sequence[tuple[int, TargetSpec]]) -> None:
    errors = RowErrors()
    sources_in_batch: set[tuple[int, int, str, date, str]] = set()
    for number, spec in specs:
        try:
            checked = check_target(session, spec)
            _check_against_store(session, checked, sources_in_batch)
        except GovopsError as error:
            errors.add(number, str(error.extensions.get("field", "target")), error.detail)
            continue
        sources_in_batch.add((*_place(checked), nfc(spec.source).strip()))
    if errors:
        raise RejectedBatch(errors)


def _place(checked: CheckedTarget) -> tuple[int, int, str, date]:
    period = checked.period
    return (checked.indicator.id, checked.area.id, period.frequency.value, period.start)


def _check_against_store(
    session: Session, checked: CheckedTarget, earlier: set[tuple[int, int, str, date, str]]
) -> None:
    existing = _same_key(session, checked)
    if existing is not None and not _same_figures(existing, checked):
        raise TargetError(
            "low",
            f"target {existing.id} from '{existing.source}' already sets other figures for "
            "this indicator, area and period",
        )
    replaced = checked.spec.supersedes
    in_batch = (*_place(checked), replaced) in earlier
    if replaced and not in_batch and _earlier_target(session, checked) is None:
        raise TargetError(
            "supersedes", f"no target of this indicator, area and period is from '{replaced}'"
        )


# --- reading ----------------------------------------------------------------------------


def get_target(session: Session, target_id: int) -> Target:
    target = session.get(Target, target_id)
    if target is None:
        raise NotFound(f"target {target_id} does not exist", target=target_id)
    return target


def list_targets(
    session: Session,
    *,
    indicator: str | None = None,
    area: str | None = None,
    year: int | None = None,
    include_superseded: bool = False,
) -> list[Target]:
    query = select(Target).order_by(Target.period_start, Target.id)
    if indicator:
        query = query.where(Target.indicator_id == get_indicator(session, indicator).id)
    if area:
        query = query.join(Area, Area.id == Target.area_id).where(Area.code == area)
    if not include_superseded:
        query = query.where(Target.superseded_by_id.is_(None))
    targets = list(session.scalars(query))
    if year is not None:
        targets = [target for target in targets if target.period_start.year == year]
    return targets


def period_of(target: Target) -> Period:
    return Period(Frequency(target.frequency), target.period_start)


def goal_of(target: Target) -> Goal:
    return Goal(Comparator(target.comparator), target.low, target.high, target.tolerance)


def describe_goal(goal: Goal) -> str:
    if goal.comparator is Comparator.BETWEEN:
        return f"between {goal.low} and {goal.high}"
    if goal.comparator is Comparator.ABOUT:
        return f"about {goal.low} (±{goal.tolerance})"
    return f"{goal.comparator.value.replace('_', ' ')} {goal.low}"


# --- thresholds -------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """On track from ``on_track_from``; off track below ``off_track_below``; at risk between."""

    on_track_from: Decimal = DEFAULT_ON_TRACK_FROM
    off_track_below: Decimal = DEFAULT_OFF_TRACK_BELOW
    updated_at: datetime | None = None


def get_thresholds(session: Session) -> Thresholds:
    policy = session.get(TargetPolicy, 1)
    if policy is None:
        return Thresholds()
    return Thresholds(policy.on_track_from, policy.off_track_below, policy.updated_at)


def set_thresholds(
    session: Session, *, on_track_from: Decimal, off_track_below: Decimal, by: audit.Actor
) -> Thresholds:
    if not Decimal(0) < off_track_below <= on_track_from < Decimal(1):
        raise InvalidRequest(
            "thresholds must satisfy 0 < off_track_below <= on_track_from < 1, got "
            f"off_track_below={off_track_below} and on_track_from={on_track_from}",
            field="on_track_from",
        )
    policy = session.get(TargetPolicy, 1)
    if policy is None:
        policy = TargetPolicy(id=1)
        session.add(policy)
    policy.on_track_from, policy.off_track_below = on_track_from, off_track_below
    policy.updated_at, policy.updated_by = now_utc(), by.principal.name
    audit.record(
        session,
        "target.thresholds",
        by=by,
        object_type="target_policy",
        object_id=1,
        summary=f"on track from {on_track_from}, off track below {off_track_below}",
    )
    session.flush()
    return get_thresholds(session)
