"""Shapes of the catalogue in the API."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from govops.catalog.models import Agency, Area, Indicator, IndicatorGroup


class UnitOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    symbol: str | None


class IndicatorSummary(BaseModel):
    code: str
    name_vi: str
    name_en: str
    unit: UnitOut
    frequency: str
    classification: str
    groups: list[str]

    @classmethod
    def of(cls, indicator: Indicator) -> IndicatorSummary:
        return cls(
            code=indicator.code,
            name_vi=indicator.name_vi,
            name_en=indicator.name_en,
            unit=UnitOut.model_validate(indicator.unit, from_attributes=True),
            frequency=indicator.frequency,
            classification=indicator.classification,
            groups=[group.code for group in indicator.groups],
        )


class DimensionOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    values: list[dict[str, str]]


class IndicatorDetail(IndicatorSummary):
    description_vi: str | None
    description_en: str | None
    methodology_vi: str | None
    methodology_en: str | None
    decimals: int
    area_rule: str = Field(description="sum, mean, weighted_mean or none")
    weight_indicator: str | None
    time_rule: str = Field(description="sum, mean, last or none")
    owner: str | None
    owner_name_en: str | None
    official_code: str | None
    formula: str | None
    release: str | None
    dimensions: list[DimensionOut]
    latest_period: str | None

    @classmethod
    def of_detail(cls, indicator: Indicator, latest_period: str | None) -> IndicatorDetail:
        summary = IndicatorSummary.of(indicator).model_dump()
        return cls(
            **summary,
            description_vi=indicator.description_vi,
            description_en=indicator.description_en,
            methodology_vi=indicator.methodology_vi,
            methodology_en=indicator.methodology_en,
            decimals=indicator.decimals,
            area_rule=indicator.area_rule,
            weight_indicator=indicator.weight_indicator_code,
            time_rule=indicator.time_rule,
            owner=indicator.owner.code if indicator.owner else None,
            owner_name_en=indicator.owner.name_en if indicator.owner else None,
            official_code=indicator.official_code,
            formula=indicator.formula,
            release=indicator.release,
            latest_period=latest_period,
            dimensions=[
                DimensionOut(
                    code=d.code,
                    name_vi=d.name_vi,
                    name_en=d.name_en,
                    values=[
                        {"code": v.code, "name_vi": v.name_vi, "name_en": v.name_en}
                        for v in d.values
                    ],
                )
                for d in indicator.dimensions
            ],
        )


class IndicatorPage(BaseModel):
    items: list[IndicatorSummary]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null on the last page"
    )


class GroupOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    description_en: str | None
    coverage_target: float | None
    indicators: list[str]

    @classmethod
    def of(cls, group: IndicatorGroup, members: list[Indicator] | None = None) -> GroupOut:
        """The group with ``members`` (by default all of its indicators)."""
        members = group.indicators if members is None else members
        target = group.coverage_target
        return cls(
            code=group.code,
            name_vi=group.name_vi,
            name_en=group.name_en,
            description_en=group.description_en,
            coverage_target=None if target is None else float(target),
            indicators=[indicator.code for indicator in members],
        )


class AgencyOut(BaseModel):
    code: str
    name_vi: str
    name_en: str
    kind: str

    @classmethod
    def of(cls, agency: Agency) -> AgencyOut:
        return cls(
            code=agency.code, name_vi=agency.name_vi, name_en=agency.name_en, kind=agency.kind
        )


class AreaOut(BaseModel):
    id: int
    code: str
    level: str
    kind: str
    name_vi: str
    name_en: str
    valid_from: date | None
    valid_to: date | None = Field(description="First day the version no longer applies")

    @classmethod
    def of(cls, area: Area) -> AreaOut:
        return cls.model_validate(area, from_attributes=True)


class AreaDetail(AreaOut):
    parent: AreaOut | None
    predecessors: list[AreaOut]
    successors: list[AreaOut]
    children: int
