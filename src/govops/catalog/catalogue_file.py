"""The catalogue as a human-editable YAML file: read, validate, load idempotently, export.

Loading never deletes: an indicator that is in the store but not in the file is reported,
since observations may refer to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import (
    Agency,
    Dimension,
    DimensionValue,
    Indicator,
    IndicatorGroup,
    Unit,
)
from govops.catalog.rules import AgencyKind, AreaRule, Classification, TimeRule
from govops.core.errors import InvalidRequest
from govops.core.periods import Frequency
from govops.core.text import fold, nfc

REFERENCE_CATALOGUE = "data/vn_catalogue.yaml"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_FORMULA_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


class CatalogueFileError(InvalidRequest):
    code = "invalid-catalogue"
    title = "Invalid catalogue file"


@dataclass
class KindReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class CatalogueLoadReport:
    kinds: dict[str, KindReport] = field(default_factory=dict)
    not_in_file: list[str] = field(default_factory=list)

    def kind(self, name: str) -> KindReport:
        return self.kinds.setdefault(name, KindReport())

    @property
    def changed(self) -> bool:
        return any(report.created or report.updated for report in self.kinds.values())


def read_reference_catalogue() -> dict[str, Any]:
    text = resources.files("govops.catalog").joinpath(REFERENCE_CATALOGUE).read_text("utf-8")
    return parse_catalogue(text, source=REFERENCE_CATALOGUE)


def read_catalogue_file(path: Path) -> dict[str, Any]:
    return parse_catalogue(path.read_text("utf-8"), source=str(path))


def parse_catalogue(text: str, *, source: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(nfc(text))
    except yaml.YAMLError as error:
        raise CatalogueFileError(f"{source} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise CatalogueFileError(f"{source}: expected a mapping with units, indicators, …")
    for key in ("units", "agencies", "groups", "dimensions", "indicators"):
        document.setdefault(key, [])
        if not isinstance(document[key], list):
            raise CatalogueFileError(f"{source}: '{key}' must be a list")
    _check_catalogue(document, source)
    return document


def _check_catalogue(document: dict[str, Any], source: str) -> None:
    defined = {
        key: {item.get("code") for item in document[key]}
        for key in document
        if isinstance(document[key], list)
    }
    for position, item in enumerate(document["indicators"], start=1):
        where = f"{source}: indicator {position} ({item.get('code', 'no code')})"
        _check_indicator(item, where, defined)


def _check_indicator(item: dict[str, Any], where: str, defined: dict[str, set[Any]]) -> None:
    def need(name: str) -> Any:
        if item.get(name) in (None, ""):
            raise CatalogueFileError(f"{where}: field '{name}' is required")
        return item[name]

    if not _CODE.match(str(need("code"))):
        raise CatalogueFileError(f"{where}: code must be UPPER_SNAKE_CASE letters and digits")
    need("name_vi")
    need("name_en")
    _check_choice(where, "frequency", need("frequency"), [f.value for f in Frequency])
    _check_choice(where, "area_rule", need("area_rule"), [r.value for r in AreaRule])
    _check_choice(where, "time_rule", need("time_rule"), [r.value for r in TimeRule])
    _check_choice(
        where,
        "classification",
        item.get("classification", "public"),
        [c.value for c in Classification],
    )
    _check_reference(where, "unit", need("unit"), defined["units"])
    if item.get("owner"):
        _check_reference(where, "owner", item["owner"], defined["agencies"])
    for group in item.get("groups") or []:
        _check_reference(where, "groups", group, defined["groups"])
    for dimension in item.get("dimensions") or []:
        _check_reference(where, "dimensions", dimension, defined["dimensions"])
    if item["area_rule"] == AreaRule.WEIGHTED_MEAN:
        _check_reference(
            where, "weight_indicator", item.get("weight_indicator"), defined["indicators"]
        )
    for name in _FORMULA_NAME.findall(item.get("formula") or ""):
        _check_reference(where, "formula", name, defined["indicators"])


def _check_choice(where: str, name: str, value: Any, allowed: list[str]) -> None:
    if str(value) not in allowed:
        raise CatalogueFileError(f"{where}: {name} '{value}' is not one of {', '.join(allowed)}")


def _check_reference(where: str, name: str, value: Any, defined: set[Any]) -> None:
    if value not in defined:
        raise CatalogueFileError(f"{where}: {name} '{value}' is not defined in the file")


def load_catalogue(session: Session, document: dict[str, Any]) -> CatalogueLoadReport:
    """Create or update everything the document defines; report what changed."""
    report = CatalogueLoadReport()
    for item in document["units"]:
        _upsert(session, report.kind("units"), Unit, item["code"], _unit_fields(item))
    session.flush()
    _load_agencies(session, report, document["agencies"])
    for item in document["groups"]:
        _upsert(session, report.kind("groups"), IndicatorGroup, item["code"], _group_fields(item))
    for item in document["dimensions"]:
        _load_dimension(session, report.kind("dimensions"), item)
    session.flush()
    _load_indicators(session, report, document["indicators"])
    session.flush()
    return report


def _upsert(
    session: Session, report: KindReport, model: Any, code: str, values: dict[str, Any]
) -> Any:
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        row = model(code=code, **values)
        session.add(row)
        report.created.append(code)
        return row
    changed = {key: value for key, value in values.items() if getattr(row, key) != value}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        report.updated.append(code)
    else:
        report.unchanged += 1
    return row


def _unit_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {"name_vi": item["name_vi"], "name_en": item["name_en"], "symbol": item.get("symbol")}


def _group_fields(item: dict[str, Any]) -> dict[str, Any]:
    target = item.get("coverage_target")
    return {
        "name_vi": item["name_vi"],
        "name_en": item["name_en"],
        "description_en": item.get("description_en"),
        "coverage_target": None if target is None else Decimal(str(target)),
    }


def _load_agencies(
    session: Session, report: CatalogueLoadReport, items: list[dict[str, Any]]
) -> None:
    kinds = {kind.value for kind in AgencyKind}
    for item in items:
        if item["kind"] not in kinds:
            raise CatalogueFileError(
                f"agency {item['code']}: kind '{item['kind']}' is not one "
                f"of {', '.join(sorted(kinds))}"
            )
        _upsert(
            session,
            report.kind("agencies"),
            Agency,
            item["code"],
            {"name_vi": item["name_vi"], "name_en": item["name_en"], "kind": item["kind"]},
        )
    session.flush()
    by_code = {agency.code: agency for agency in session.scalars(select(Agency))}
    for item in items:
        parent = by_code.get(item.get("parent") or "")
        by_code[item["code"]].parent_id = parent.id if parent else None


def _load_dimension(session: Session, report: KindReport, item: dict[str, Any]) -> None:
    dimension = _upsert(
        session,
        report,
        Dimension,
        item["code"],
        {"name_vi": item["name_vi"], "name_en": item["name_en"]},
    )
    session.flush()
    existing = {value.code: value for value in dimension.values}
    for value in item.get("values") or []:
        row = existing.get(value["code"])
        if row is None:
            dimension.values.append(
                DimensionValue(
                    code=value["code"], name_vi=value["name_vi"], name_en=value["name_en"]
                )
            )
        else:
            row.name_vi, row.name_en = value["name_vi"], value["name_en"]


def _load_indicators(
    session: Session, report: CatalogueLoadReport, items: list[dict[str, Any]]
) -> None:
    agencies = {agency.code: agency for agency in session.scalars(select(Agency))}
    groups = {group.code: group for group in session.scalars(select(IndicatorGroup))}
    dimensions = {dim.code: dim for dim in session.scalars(select(Dimension))}
    kind = report.kind("indicators")
    now = datetime.now(UTC)
    for item in items:
        values = _indicator_fields(item, agencies)
        indicator = _upsert(session, kind, Indicator, item["code"], values)
        wanted_groups = [groups[code] for code in item.get("groups") or []]
        wanted_dims = [dimensions[code] for code in item.get("dimensions") or []]
        links_changed = {g.code for g in indicator.groups} != set(item.get("groups") or []) or [
            d.code for d in indicator.dimensions
        ] != [d.code for d in wanted_dims]
        if links_changed:
            indicator.groups = wanted_groups
            indicator.dimensions = wanted_dims
            if item["code"] not in kind.created and item["code"] not in kind.updated:
                kind.updated.append(item["code"])
                kind.unchanged -= 1
        if item["code"] in kind.created or item["code"] in kind.updated:
            indicator.updated_at = now
    in_file = {item["code"] for item in items}
    report.not_in_file = sorted(set(session.scalars(select(Indicator.code))) - in_file)


def _indicator_fields(item: dict[str, Any], agencies: dict[str, Agency]) -> dict[str, Any]:
    owner = agencies.get(item.get("owner") or "")
    fields = {
        "name_vi": item["name_vi"],
        "name_en": item["name_en"],
        "description_vi": item.get("description_vi"),
        "description_en": item.get("description_en"),
        "methodology_vi": item.get("methodology_vi"),
        "methodology_en": item.get("methodology_en"),
        "unit_code": item["unit"],
        "frequency": str(item["frequency"]),
        "decimals": int(item.get("decimals", 1)),
        "area_rule": item["area_rule"],
        "weight_indicator_code": item.get("weight_indicator"),
        "time_rule": item["time_rule"],
        "classification": item.get("classification") or "public",
        "owner_agency_id": owner.id if owner else None,
        "official_code": _optional_text(item.get("official_code")),
        "formula": item.get("formula"),
        "release": item.get("release"),
    }
    fields["search_text"] = fold(
        " ".join(
            str(part)
            for part in (
                item["code"],
                item["name_vi"],
                item["name_en"],
                item.get("official_code") or "",
            )
            if part
        )
    )
    return fields


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def export_catalogue(session: Session) -> dict[str, Any]:
    """The store's catalogue in the file's schema, so an export loads back unchanged."""
    return {
        "units": [
            _drop_none(
                {"code": u.code, "name_vi": u.name_vi, "name_en": u.name_en, "symbol": u.symbol}
            )
            for u in session.scalars(select(Unit).order_by(Unit.code))
        ],
        "agencies": _export_agencies(session),
        "groups": [
            _drop_none(
                {
                    "code": g.code,
                    "name_vi": g.name_vi,
                    "name_en": g.name_en,
                    "description_en": g.description_en,
                    "coverage_target": None
                    if g.coverage_target is None
                    else float(g.coverage_target),
                }
            )
            for g in session.scalars(select(IndicatorGroup).order_by(IndicatorGroup.code))
        ],
        "dimensions": [
            {
                "code": d.code,
                "name_vi": d.name_vi,
                "name_en": d.name_en,
                "values": [
                    {"code": v.code, "name_vi": v.name_vi, "name_en": v.name_en} for v in d.values
                ],
            }
            for d in session.scalars(select(Dimension).order_by(Dimension.code))
        ],
        "indicators": [
            _export_indicator(i)
            for i in session.scalars(select(Indicator).order_by(Indicator.code))
        ],
    }


def _export_agencies(session: Session) -> list[dict[str, Any]]:
    agencies = list(
        session.scalars(
            select(Agency).where(Agency.kind != AgencyKind.PROVINCE).order_by(Agency.id)
        )
    )
    codes = {agency.id: agency.code for agency in session.scalars(select(Agency))}
    return [
        _drop_none(
            {
                "code": a.code,
                "name_vi": a.name_vi,
                "name_en": a.name_en,
                "kind": a.kind,
                "parent": codes.get(a.parent_id or 0),
            }
        )
        for a in agencies
    ]


def _export_indicator(indicator: Indicator) -> dict[str, Any]:
    return _drop_none(
        {
            "code": indicator.code,
            "name_vi": indicator.name_vi,
            "name_en": indicator.name_en,
            "description_vi": indicator.description_vi,
            "description_en": indicator.description_en,
            "methodology_vi": indicator.methodology_vi,
            "methodology_en": indicator.methodology_en,
            "unit": indicator.unit_code,
            "frequency": indicator.frequency,
            "decimals": indicator.decimals,
            "area_rule": indicator.area_rule,
            "weight_indicator": indicator.weight_indicator_code,
            "time_rule": indicator.time_rule,
            "classification": indicator.classification,
            "owner": indicator.owner.code if indicator.owner else None,
            "official_code": indicator.official_code,
            "groups": [group.code for group in indicator.groups],
            "dimensions": [dimension.code for dimension in indicator.dimensions],
            "formula": indicator.formula,
            "release": indicator.release,
        }
    )


def _drop_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


def dump_catalogue(document: dict[str, Any]) -> str:
    header = "# govops catalogue export: load it back with `govops catalog load FILE`\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=96)
