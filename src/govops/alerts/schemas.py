"""Shapes of warnings and rules in the API."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from govops.alerts.models import AlertRule, EarlyWarning
from govops.alerts.service import evidence_of


class WarningOut(BaseModel):
    id: int
    kind: str = Field(description="target_at_risk, data_late, threshold, sudden_change, …")
    severity: str = Field(description="minor, moderate, severe, extreme (CAP severities)")
    status: str = Field(description="open, acknowledged, tasked, closed")
    title_vi: str
    title_en: str
    period: str | None
    raised_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    task_id: int | None
    target_id: int | None
    rule_id: int | None

    @classmethod
    def of(cls, warning: EarlyWarning) -> WarningOut:
        return cls(
            id=warning.id,
            kind=warning.kind,
            severity=warning.severity,
            status=warning.status,
            title_vi=warning.title_vi,
            title_en=warning.title_en,
            period=warning.period_code,
            raised_at=warning.raised_at,
            last_seen_at=warning.last_seen_at,
            closed_at=warning.closed_at,
            acknowledged_at=warning.acknowledged_at,
            acknowledged_by=warning.acknowledged_by,
            task_id=warning.task_id,
            target_id=warning.target_id,
            rule_id=warning.rule_id,
        )


class WarningDetail(WarningOut):
    acknowledgement_note: str | None
    evidence: dict[str, Any] = Field(description="The numbers, and a Plotly chart under 'chart'")

    @classmethod
    def of_detail(cls, warning: EarlyWarning) -> WarningDetail:
        return cls(
            **WarningOut.of(warning).model_dump(),
            acknowledgement_note=warning.acknowledgement_note,
            evidence=evidence_of(warning),
        )


class WarningList(BaseModel):
    items: list[WarningOut]


class AcknowledgeIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class TaskIn(BaseModel):
    lead_agency: str | None = Field(
        default=None, description="Agency code; default the indicator's owner"
    )
    deadline: date | None = Field(default=None, description="Default two weeks from today")
    note: str | None = Field(default=None, max_length=4000)


class CheckOut(BaseModel):
    raised: list[int]
    updated: list[int]
    closed: list[int]


class RuleIn(BaseModel):
    kind: str = Field(
        examples=["threshold"], description="threshold, sudden_change, outside_forecast"
    )
    name: str
    indicator: str
    area: str
    severity: str = "moderate"
    params: dict[str, Any] = Field(
        default_factory=dict, examples=[{"above": 120}, {"z": 3}, {"level": 95}]
    )


class RuleOut(BaseModel):
    id: int
    kind: str
    name: str
    severity: str
    params: dict[str, Any]
    enabled: bool

    @classmethod
    def of(cls, rule: AlertRule) -> RuleOut:
        return cls(
            id=rule.id,
            kind=rule.kind,
            name=rule.name,
            severity=rule.severity,
            params=json.loads(rule.params),
            enabled=rule.enabled,
        )
