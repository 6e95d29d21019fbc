"""The registry: which agencies take part, which flows they keep, and who receives what.

A flow is written from a :class:`FlowSpec`, whether it comes from the API or from a
declarative file (``govops exchange load flows.yaml``); writing the same spec again
changes nothing, so the file can be loaded as often as it is edited.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency, Indicator
from govops.core.db import now_utc
from govops.core.errors import InvalidRequest, NotFound
from govops.core.text import nfc
from govops.exchange.models import AccessRule, ExchangeFlow, ExchangeMember
from govops.security.permissions import Clearance, Principal, Scope


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    BOTH = "both"


class Transport(StrEnum):
    PUSH = "push"
    PULL = "pull"


class Format(StrEnum):
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"


class ValidationMode(StrEnum):
    STRICT = "strict"
    LENIENT = "lenient"


_SCHEDULE = re.compile(r"^(D|W|M|Q|A|[1-9][0-9]*m)$")
SCHEDULE_MINUTES = {"D": 1440, "W": 7 * 1440, "M": 30 * 1440, "Q": 91 * 1440, "A": 365 * 1440}


def schedule_minutes(schedule: str) -> int:
    """How many minutes apart deliveries are expected."""
    if schedule.endswith("m"):
        return int(schedule[:-1])
    return SCHEDULE_MINUTES[schedule]


class SystemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=300)


class MemberSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str = Field(description="Agency code from the catalogue, e.g. MOF")
    systems: list[SystemSpec] = []
    contact: str | None = None


class ConsumerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str
    max_classification: Clearance = Clearance.PUBLIC


class RangeRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float | None = None
    max: float | None = None


class FlowRules(BaseModel):
    """The flow's own checks, on top of the catalogue's (see govops.exchange.rules)."""

    model_config = ConfigDict(extra="forbid")
    # Indicator code to the range its values must fall in.
    ranges: dict[str, RangeRule] = {}
    # Indicators whose provinces must add up to the national value, within a share.
    sum_to_national: list[str] = []
    sum_tolerance: float = Field(default=0.01, ge=0, le=1)
    # A change from the latest stored value larger than this share is a warning.
    jump_warning: float | None = Field(default=None, gt=0)


class FlowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=60, pattern=r"^[A-Z0-9][A-Z0-9_.-]*$")
    name_vi: str = Field(min_length=1, max_length=300)
    name_en: str = Field(min_length=1, max_length=300)
    provider: str = Field(description="Agency code of the provider")
    provider_system: str | None = None
    direction: Direction = Direction.BOTH
    indicators: list[str] = Field(min_length=1)
    dimensions: list[str] = []
    schedule: str = Field(description="D, W, M, Q, A, or minutes such as 15m")
    freshness_minutes: int = Field(gt=0, description="Longest time allowed without a delivery")
    transport: Transport = Transport.PUSH
    format: Format = Format.CSV
    validation_mode: ValidationMode = ValidationMode.STRICT
    classification: Clearance = Clearance.PUBLIC
    consumers: list[ConsumerSpec] = []
    rules: FlowRules = FlowRules()
    pull_url: str | None = None
    # A header sent with each pull, e.g. "Authorization: Bearer …"; never logged or shown.
    pull_secret_header: str | None = None

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        if not _SCHEDULE.match(value):
            raise ValueError("must be D, W, M, Q, A, or a number of minutes such as 15m")
        return value

    @field_validator("name_vi", "name_en")
    @classmethod
    def _names(cls, value: str) -> str:
        return nfc(value.strip())


def _agency(session: Session, code: str, *, field_name: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidRequest(f"agency '{code}' is not in the catalogue", field=field_name)
    return agency


def save_member(session: Session, spec: MemberSpec) -> tuple[ExchangeMember, bool]:
    """The member as the spec says; True when something changed."""
    agency = _agency(session, spec.agency, field_name="agency")
    member = session.scalar(select(ExchangeMember).where(ExchangeMember.agency_id == agency.id))
    systems = json.dumps([s.model_dump() for s in spec.systems], ensure_ascii=False)
    if member is None:
        member = ExchangeMember(
            agency_id=agency.id, systems=systems, contact=spec.contact, created_at=now_utc()
        )
        session.add(member)
        session.flush()
        return member, True
    changed = (member.systems, member.contact) != (systems, spec.contact)
    member.systems, member.contact = systems, spec.contact
    return member, changed


def save_flow(session: Session, spec: FlowSpec) -> tuple[ExchangeFlow, bool]:
    """Create or update the flow ``spec.code``; True when something changed."""
    provider = _agency(session, spec.provider, field_name="provider")
    _check_indicators(session, spec.indicators)
    if spec.transport is Transport.PULL and not spec.pull_url:
        raise InvalidRequest("a pull flow needs pull_url", field="pull_url")
    values: dict[str, Any] = {
        "name_vi": spec.name_vi,
        "name_en": spec.name_en,
        "provider_agency_id": provider.id,
        "provider_system": spec.provider_system,
        "direction": spec.direction.value,
        "indicators": json.dumps(spec.indicators),
        "dimensions": json.dumps(spec.dimensions),
        "schedule": spec.schedule,
        "freshness_minutes": spec.freshness_minutes,
        "transport": spec.transport.value,
        "format": spec.format.value,
        "validation_mode": spec.validation_mode.value,
        "classification": spec.classification.value,
        "rules": spec.rules.model_dump_json(exclude_defaults=True),
        "pull_url": spec.pull_url,
        "pull_secret_header": spec.pull_secret_header,
    }
    flow = session.scalar(select(ExchangeFlow).where(ExchangeFlow.code == spec.code))
    now = now_utc()
    changed = False
    if flow is None:
        flow = ExchangeFlow(code=spec.code, created_at=now, updated_at=now, **values)
        session.add(flow)
        session.flush()
        changed = True
    elif any(getattr(flow, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(flow, name, value)
        flow.updated_at = now
        changed = True
    return flow, _save_consumers(session, flow, spec.consumers) or changed


def _check_indicators(session: Session, codes: list[str]) -> None:
    found = dict(
        session.execute(
            select(Indicator.code, Indicator.formula).where(Indicator.code.in_(codes))
        ).all()
    )
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise InvalidRequest(
            f"indicator(s) {', '.join(unknown)} not in the catalogue", field="indicators"
        )
    derived = [code for code in codes if found[code]]
    if derived:
        raise InvalidRequest(
            f"indicator(s) {', '.join(derived)} are computed from others by a formula; "
            "a flow carries their inputs",
            field="indicators",
        )


def _save_consumers(session: Session, flow: ExchangeFlow, consumers: list[ConsumerSpec]) -> bool:
    wanted = {
        _agency(session, c.agency, field_name="consumers").id: c.max_classification.value
        for c in consumers
    }
    existing = {
        rule.consumer_agency_id: rule
        for rule in session.scalars(select(AccessRule).where(AccessRule.flow_id == flow.id))
    }
    changed = False
    for agency_id, rule in existing.items():
        if agency_id not in wanted:
            session.delete(rule)
            changed = True
        elif rule.max_classification != wanted[agency_id]:
            rule.max_classification = wanted[agency_id]
            changed = True
    for agency_id, level in wanted.items():
        if agency_id not in existing:
            session.add(
                AccessRule(flow_id=flow.id, consumer_agency_id=agency_id, max_classification=level)
            )
            changed = True
    session.flush()
    return changed


# Built once: every delivery asks it.
_FLOW_BY_CODE = select(ExchangeFlow).where(ExchangeFlow.code == bindparam("code"))


def get_flow(session: Session, code: str) -> ExchangeFlow:
    flow = session.scalar(_FLOW_BY_CODE, {"code": code})
    if flow is None:
        raise NotFound(f"no flow '{code}'", field="flow")
    return flow


def list_flows(session: Session) -> list[ExchangeFlow]:
    return list(session.scalars(select(ExchangeFlow).order_by(ExchangeFlow.code)))


def list_members(session: Session) -> list[ExchangeMember]:
    return list(session.scalars(select(ExchangeMember).order_by(ExchangeMember.id)))


def flow_rules(flow: ExchangeFlow) -> FlowRules:
    return FlowRules.model_validate_json(flow.rules or "{}")


def flow_indicators(flow: ExchangeFlow) -> list[str]:
    codes: list[str] = json.loads(flow.indicators)
    return codes


def spec_of(session: Session, flow: ExchangeFlow) -> dict[str, Any]:
    """The flow as the declarative file writes it, without its pull credentials."""
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    spec = FlowSpec(
        code=flow.code,
        name_vi=flow.name_vi,
        name_en=flow.name_en,
        provider=codes[flow.provider_agency_id],
        provider_system=flow.provider_system,
        direction=Direction(flow.direction),
        indicators=flow_indicators(flow),
        dimensions=json.loads(flow.dimensions),
        schedule=flow.schedule,
        freshness_minutes=flow.freshness_minutes,
        transport=Transport(flow.transport),
        format=Format(flow.format),
        validation_mode=ValidationMode(flow.validation_mode),
        classification=Clearance(flow.classification),
        consumers=[
            ConsumerSpec(
                agency=codes[rule.consumer_agency_id],
                max_classification=Clearance(rule.max_classification),
            )
            for rule in consumers_of(session, flow.id)
        ],
        rules=flow_rules(flow),
        pull_url=flow.pull_url,
    )
    document: dict[str, Any] = spec.model_dump(mode="json", exclude_defaults=True)
    # Always written out, so a reader sees the choices the defaults made.
    for name in ("direction", "transport", "format", "validation_mode", "classification"):
        document[name] = getattr(spec, name).value
    return document


def consumers_of(session: Session, flow_id: int) -> list[AccessRule]:
    return list(
        session.scalars(
            select(AccessRule).where(AccessRule.flow_id == flow_id).order_by(AccessRule.id)
        )
    )


def may_receive(classification: str, rule: AccessRule | None, reader: Principal) -> bool:
    """Whether ``reader`` may receive the changes of a flow of this classification: by an
    access rule of its agency up to the rule's classification and the reader's clearance;
    administrators, and anyone holding exchange:manage across agencies, see every flow
    within clearance."""
    level = Clearance(classification).rank
    if level > reader.clearance.rank:
        return False
    if rule is None:
        return reader.scope is Scope.EVERY_AGENCY
    return level <= Clearance(rule.max_classification).rank


# --- the declarative file -------------------------------------------------------------


@dataclass
class LoadReport:
    created_or_changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)


def load_registry_file(session: Session, path: Path) -> LoadReport:
    """Members then flows from a YAML file; each entry stands alone.

    An entry with an error is reported with its place and reason and skipped; the
    others are saved. Loading the same file twice changes nothing the second time.
    """
    return load_registry_text(session, path.read_text(encoding="utf-8"), path.name)


def load_registry_text(session: Session, text: str, name: str) -> LoadReport:
    """As :func:`load_registry_file`, for the text of a file sent through a page."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidRequest(f"{name} is not valid YAML: {error}", field="file") from error
    if not isinstance(document, dict):
        raise InvalidRequest(
            f"{name} must hold a mapping with 'members' and 'flows'", field="file"
        )
    report = LoadReport()
    _load_entries(session, document.get("members") or [], "members", MemberSpec, report)
    _load_entries(session, document.get("flows") or [], "flows", FlowSpec, report)
    return report


def _load_entries(
    session: Session,
    entries: Iterable[Any],
    section: str,
    model: type[MemberSpec] | type[FlowSpec],
    report: LoadReport,
) -> None:
    for index, entry in enumerate(entries, start=1):
        name = entry.get("code") or entry.get("agency") if isinstance(entry, dict) else None
        where = f"{section}[{index}]" + (f" ({name})" if name else "")
        try:
            spec = model.model_validate(entry)
            with session.begin_nested():
                if isinstance(spec, FlowSpec):
                    _, changed = save_flow(session, spec)
                else:
                    _, changed = save_member(session, spec)
        except ValidationError as error:
            first = error.errors()[0]
            location = ".".join(str(part) for part in first["loc"])
            report.errors.append({"entry": where, "field": location, "reason": first["msg"]})
            continue
        except InvalidRequest as error:
            field_name = str(error.extensions.get("field", ""))
            report.errors.append({"entry": where, "field": field_name, "reason": error.detail})
            continue
        (report.created_or_changed if changed else report.unchanged).append(where)
