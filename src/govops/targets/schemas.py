"""Shapes of targets in the API."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from govops.targets.assessment import Assessment
from govops.targets.service import TargetSpec


class TargetIn(BaseModel):
    indicator: str = Field(examples=["GDP_GROWTH_A"])
    area: str = Field(examples=["VN"], description="Area code, as valid when the period ends")
    period: str = Field(examples=["2026"], description="SDMX period code")
    comparator: str = Field(examples=["at_least"], description="at_least, at_most, between, about")
    low: Decimal = Field(description="The figure; the lower one for 'between'")
    high: Decimal | None = Field(default=None, description="Only for 'between'")
    tolerance: Decimal | None = Field(default=None, description="Only for 'about'")
    basis: str = Field(default="level", description="level, growth, change or reduction")
    source: str = Field(examples=["Resolution 158/2024/QH15"])
    source_kind: str = Field(default="other", examples=["national_assembly_resolution"])
    supersedes: str | None = Field(default=None, description="Source of the target replaced")
    note: str | None = None

    def spec(self) -> TargetSpec:
        return TargetSpec(
            indicator=self.indicator,
            area=self.area,
            period=self.period,
            comparator=self.comparator,
            low=str(self.low),
            high=None if self.high is None else str(self.high),
            tolerance=None if self.tolerance is None else str(self.tolerance),
            basis=self.basis,
            source=self.source,
            source_kind=self.source_kind,
            supersedes=self.supersedes,
            note=self.note,
        )


class TargetOut(BaseModel):
    id: int
    indicator: str
    indicator_name_vi: str
    indicator_name_en: str
    unit: str
    area: str
    area_name_vi: str
    area_name_en: str
    period: str
    comparator: str
    low: Decimal
    high: Decimal | None
    tolerance: Decimal | None
    basis: str
    source: str
    source_kind: str
    note: str | None
    superseded_by: int | None
    status: str = Field(description="achieved, missed, on_track, at_risk, off_track, unknown")
    status_vi: str
    probability: float | None = Field(description="Probability of meeting the target, 0 to 1")
    value: Decimal | None = Field(description="The compared value, once the period is known")
    expected: float | None = Field(description="Expected compared value at the period's end")
    lo80: float | None
    hi80: float | None
    latest_period: str | None
    latest_value: Decimal | None
    known_parts: int
    parts: int
    method: str | None
    reason: str | None

    @classmethod
    def of(cls, item: Assessment) -> TargetOut:
        target, indicator, area = item.target, item.indicator, item.area
        return cls(
            id=target.id,
            indicator=indicator.code,
            indicator_name_vi=indicator.name_vi,
            indicator_name_en=indicator.name_en,
            unit=indicator.unit_code,
            area=area.code,
            area_name_vi=area.name_vi,
            area_name_en=area.name_en,
            period=item.period.code,
            comparator=target.comparator,
            low=target.low,
            high=target.high,
            tolerance=target.tolerance,
            basis=target.basis,
            source=target.source,
            source_kind=target.source_kind,
            note=target.note,
            superseded_by=target.superseded_by_id,
            status=item.status.value,
            status_vi=item.status.label_vi,
            probability=_rounded(item.probability, 4),
            value=item.value,
            expected=_rounded(item.expected, 6),
            lo80=_rounded(item.lo80, 6),
            hi80=_rounded(item.hi80, 6),
            latest_period=item.latest_period.code if item.latest_period else None,
            latest_value=item.latest_value,
            known_parts=item.known_parts,
            parts=item.parts,
            method=item.method,
            reason=item.reason,
        )


class TargetList(BaseModel):
    items: list[TargetOut]


class LoadOut(BaseModel):
    created: list[int]
    unchanged: int


class ThresholdsIn(BaseModel):
    # Probabilities to a hundredth of a percent: finer steps mean nothing for a status, and
    # a value like 2e-263 would come back in exponent form, which is not a decimal string.
    on_track_from: Decimal = Field(ge=0, le=1, decimal_places=4, examples=["0.7"])
    off_track_below: Decimal = Field(ge=0, le=1, decimal_places=4, examples=["0.3"])


class ThresholdsOut(ThresholdsIn):
    pass


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
