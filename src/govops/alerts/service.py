"""Warnings: running the checks, keeping one open warning per cause, acknowledging them,
and turning them into tasks.

A warning is open, then acknowledged (someone has seen it), or tasked (it became a task),
and finally closed: by the check itself when its state has passed (a target back on track,
late figures arrived). Until it is closed, a later check that finds the same cause updates
the warning (its severity, evidence, last seen time) instead of raising another.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.alerts.checks import (
    RULE_KINDS,
    CheckContext,
    Finding,
    Severity,
    WarningKind,
    check_late_data,
    check_rule,
    check_targets,
)
from govops.alerts.models import AlertRule, EarlyWarning
from govops.catalog.areas import area_at
from govops.catalog.models import Agency, Indicator
from govops.catalog.service import get_indicator
from govops.core.db import now_utc
from govops.core.errors import Conflict, InvalidRequest, NotFound
from govops.core.text import nfc
from govops.security import audit

log = logging.getLogger(__name__)

DEFAULT_TASK_DAYS = 14


class WarningStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    TASKED = "tasked"
    CLOSED = "closed"


@dataclass
class CheckReport:
    raised: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    steps: int = 0


# A step of a check run: its label and what it does.
Step = tuple[str, Callable[[CheckContext], None]]


# --- running the checks ------------------------------------------------------------------


def check_steps(session: Session) -> list[Step]:
    """Every check of one run: targets, late data, then each enabled rule."""
    steps: list[Step] = [("targets", check_targets), ("late data", check_late_data)]
    rules = session.scalars(
        select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)
    )
    for rule in rules:
        steps.append((f"rule {rule.id}: {rule.name}", _rule_step(rule)))
    return steps


def _rule_step(rule: AlertRule) -> Callable[[CheckContext], None]:
    return lambda ctx: check_rule(ctx, rule)


def run_checks(
    session: Session,
    *,
    today: date,
    progress: Callable[[str], None] | None = None,
    steps: Sequence[Step] | None = None,
) -> CheckReport:
    """Run every check once and store what it found; ``progress`` hears each step's label."""
    ctx = CheckContext(session, today)
    planned = list(steps) if steps is not None else check_steps(session)
    for label, step in planned:
        step(ctx)
        if progress is not None:
            progress(label)

    report = CheckReport(steps=len(planned))
    moment = now_utc()
    for finding in ctx.findings:
        warning, new = raise_warning(session, finding, moment)
        (report.raised if new else report.updated).append(warning.id)
    report.closed = _close_passed(session, {f.cause for f in ctx.findings}, moment)
    log.info(
        "checks ran: %s raised, %s updated, %s closed",
        len(report.raised),
        len(report.updated),
        len(report.closed),
    )
    return report


def raise_warning(
    session: Session, finding: Finding, moment: datetime
) -> tuple[EarlyWarning, bool]:
    """The open warning of the finding's cause, updated, or a new one; and whether new."""
    warning = session.scalar(select(EarlyWarning).where(EarlyWarning.open_cause == finding.cause))
    new = warning is None
    if warning is None:
        warning = EarlyWarning(
            kind=finding.kind.value,
            cause=finding.cause,
            open_cause=finding.cause,
            status=WarningStatus.OPEN.value,
            raised_at=moment,
            rule_id=finding.rule_id,
            target_id=finding.target_id,
            indicator_id=finding.indicator_id,
            area_id=finding.area_id,
            period_code=finding.period,
        )
        session.add(warning)
    warning.severity = finding.severity.value
    warning.title_vi, warning.title_en = nfc(finding.title_vi), nfc(finding.title_en)
    warning.evidence = json.dumps(finding.evidence, ensure_ascii=False, default=str)
    warning.last_seen_at = moment
    session.flush()
    return warning, new


def _close_passed(session: Session, found: set[str], moment: datetime) -> list[int]:
    states = [kind.value for kind in WarningKind if kind.closes_itself]
    still_open = session.scalars(
        select(EarlyWarning).where(
            EarlyWarning.open_cause.is_not(None), EarlyWarning.kind.in_(states)
        )
    )
    closed = []
    for warning in still_open:
        if warning.cause not in found:
            warning.status, warning.open_cause = WarningStatus.CLOSED.value, None
            warning.closed_at = moment
            closed.append(warning.id)
    session.flush()
    return closed


# --- reading -----------------------------------------------------------------------------


def get_warning(session: Session, warning_id: int) -> EarlyWarning:
    warning = session.get(EarlyWarning, warning_id)
    if warning is None:
        raise NotFound(f"warning {warning_id} does not exist", warning=warning_id)
    return warning


def list_warnings(
    session: Session,
    *,
    status: Sequence[str] = (),
    kind: str | None = None,
    severity: str | None = None,
    limit: int = 200,
) -> list[EarlyWarning]:
    """Warnings newest first; by default those not closed, the inbox."""
    query = select(EarlyWarning).order_by(EarlyWarning.raised_at.desc(), EarlyWarning.id.desc())
    wanted = list(status) or [s.value for s in WarningStatus if s is not WarningStatus.CLOSED]
    query = query.where(EarlyWarning.status.in_(wanted))
    if kind:
        query = query.where(EarlyWarning.kind == kind)
    if severity:
        query = query.where(EarlyWarning.severity == severity)
    return list(session.scalars(query.limit(limit)))


def evidence_of(warning: EarlyWarning) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(warning.evidence)
    return data


# --- acting on a warning -----------------------------------------------------------------


def acknowledge(
    session: Session, warning_id: int, *, note: str | None, by: audit.Actor
) -> EarlyWarning:
    """Mark the warning seen; it stays the one open warning of its cause."""
    warning = get_warning(session, warning_id)
    if warning.status == WarningStatus.CLOSED.value:
        raise Conflict(f"warning {warning_id} is closed; there is nothing to acknowledge")
    if warning.acknowledged_at is None:
        warning.acknowledged_at, warning.acknowledged_by = now_utc(), by.principal.name
        warning.acknowledgement_note = nfc(note) if note else None
        if warning.status == WarningStatus.OPEN.value:
            warning.status = WarningStatus.ACKNOWLEDGED.value
        audit.record(
            session,
            "warning.acknowledge",
            by=by,
            object_type="warning",
            object_id=warning.id,
            summary=warning.title_en,
        )
    session.flush()
    return warning


@dataclass(frozen=True)
class TaskRequest:
    lead_agency: str | None = None
    deadline: date | None = None
    note: str | None = None


def turn_into_task(
    session: Session, warning_id: int, request: TaskRequest, *, today: date, by: audit.Actor
) -> EarlyWarning:
    """Make a task for the responsible agency from the warning, with its proposed action.

    The lead agency is the one asked for, else the indicator's owner; the deadline is the
    one asked for, else two weeks from today.
    """
    from govops.tasks.service import assign_task_from_warning

    warning = get_warning(session, warning_id)
    if warning.task_id is not None:
        raise Conflict(
            f"warning {warning_id} is already task {warning.task_id}", task=warning.task_id
        )
    if warning.status == WarningStatus.CLOSED.value:
        raise Conflict(f"warning {warning_id} is closed; its cause has passed")
    agency = _lead_agency(session, warning, request.lead_agency)
    deadline = request.deadline or today + timedelta(days=DEFAULT_TASK_DAYS)
    if deadline < today:
        raise InvalidRequest(f"deadline {deadline} has passed", field="deadline")

    task = assign_task_from_warning(
        session,
        lead_agency_id=agency.id,
        title=nfc(f"Xử lý cảnh báo: {warning.title_vi}")[:500],
        description=_task_description(warning, request.note),
        deadline=deadline,
        source=f"warning {warning.id}",
        by=by,
    )
    warning.task_id, warning.status = task.id, WarningStatus.TASKED.value
    audit.record(
        session,
        "warning.to_task",
        by=by,
        object_type="warning",
        object_id=warning.id,
        summary=f"task {task.id} for {agency.code}, due {deadline.isoformat()}",
    )
    session.flush()
    return warning


def _lead_agency(session: Session, warning: EarlyWarning, code: str | None) -> Agency:
    if code:
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise InvalidRequest(f"agency '{code}' does not exist", field="lead_agency")
        return agency
    indicator = session.get(Indicator, warning.indicator_id) if warning.indicator_id else None
    if indicator is None or indicator.owner is None:
        raise InvalidRequest(
            "the warning's indicator has no owner agency; name the lead agency",
            field="lead_agency",
        )
    return indicator.owner


def _task_description(warning: EarlyWarning, note: str | None) -> str:
    evidence = evidence_of(warning)
    lines = [warning.title_vi, warning.title_en, ""]
    if evidence.get("proposed_action_vi"):
        lines += [f"Đề xuất: {evidence['proposed_action_vi']}", ""]
    numbers = {k: v for k, v in evidence.items() if k != "chart" and not k.startswith("proposed")}
    lines.append(json.dumps(numbers, ensure_ascii=False, default=str))
    if note:
        lines += ["", nfc(note)]
    return "\n".join(lines)


# --- rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    name: str
    indicator: str
    area: str
    severity: str = Severity.MODERATE.value
    params: dict[str, Any] = field(default_factory=dict)


def create_rule(session: Session, spec: RuleSpec, *, today: date, by: audit.Actor) -> AlertRule:
    """A threshold, sudden change or forecast band rule on one series."""
    kind = _rule_kind(spec.kind)
    _check_params(kind, spec.params)
    try:
        severity = Severity(spec.severity)
    except ValueError:
        allowed = ", ".join(s.value for s in Severity)
        raise InvalidRequest(f"severity '{spec.severity}' is not one of {allowed}") from None
    indicator = get_indicator(session, spec.indicator)
    area = area_at(session, spec.area, today)
    rule = AlertRule(
        kind=kind.value,
        name=nfc(spec.name),
        indicator_id=indicator.id,
        area_id=area.id,
        params=json.dumps(spec.params),
        severity=severity.value,
        enabled=True,
        created_at=now_utc(),
    )
    session.add(rule)
    session.flush()
    audit.record(
        session,
        "alert_rule.create",
        by=by,
        object_type="alert_rule",
        object_id=rule.id,
        summary=f"{kind.value} on {indicator.code} {area.code}: {spec.params}",
    )
    return rule


def _rule_kind(text: str) -> WarningKind:
    try:
        kind = WarningKind(text)
    except ValueError:
        kind = None
    if kind not in RULE_KINDS:
        allowed = ", ".join(sorted(k.value for k in RULE_KINDS))
        raise InvalidRequest(f"rule kind '{text}' is not one of {allowed}", field="kind")
    assert kind is not None
    return kind


def _check_params(kind: WarningKind, params: dict[str, Any]) -> None:
    if kind is WarningKind.THRESHOLD:
        given = [name for name in ("above", "below") if params.get(name) is not None]
        if len(given) != 1:
            raise InvalidRequest(
                "a threshold rule needs one of 'above' or 'below'", field="params"
            )
        _positive_number(params[given[0]], given[0], allow_any_sign=True)
    if kind is WarningKind.SUDDEN_CHANGE:
        _positive_number(params.get("z", 3), "z")
    if kind is WarningKind.OUTSIDE_FORECAST and int(params.get("level", 95)) not in (80, 95):
        raise InvalidRequest("level must be 80 or 95", field="params")


def _positive_number(value: Any, name: str, *, allow_any_sign: bool = False) -> None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidRequest(f"{name} '{value}' is not a number", field="params") from None
    if not allow_any_sign and number <= 0:
        raise InvalidRequest(f"{name} must be above zero", field="params")
