"""Targets in files: CSV or YAML, one target per row, and the national targets we ship.

Columns (CSV header or YAML keys): indicator, area, period, comparator, low, and
optionally high, tolerance, basis, source, source_kind, supersedes, note. Lines of a CSV
that start with ``#`` are comments. A YAML file is a list of mappings, or a mapping
with the list under ``targets``. Row 1 is the first target, whatever the format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from govops.core.errors import InvalidRequest, PayloadTooLarge, RejectedBatch, RowErrors
from govops.core.text import nfc
from govops.targets.service import TargetSpec

MAX_FILE_BYTES = 5 * 1024 * 1024
REQUIRED = ("indicator", "area", "period", "comparator", "low")
OPTIONAL = (
    "high",
    "tolerance",
    "basis",
    "source",
    "source_kind",
    "supersedes",
    "note",
)
NATIONAL_TARGETS = "vn_plan_targets.csv"

Numbered = list[tuple[int, TargetSpec]]


def read_targets_file(path: Path, *, default_source: str | None = None) -> Numbered:
    """The targets of a CSV or YAML file; RejectedBatch names every bad row and column."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"{path.name} has {size} bytes; the limit is {MAX_FILE_BYTES}")
    text = path.read_text(encoding="utf-8-sig")
    kind = "yaml" if path.suffix.lower() in (".yaml", ".yml") else "csv"
    return read_targets_text(text, kind, default_source=default_source or path.name)


def read_targets_text(text: str, kind: str, *, default_source: str) -> Numbered:
    records = _yaml_records(text) if kind == "yaml" else _csv_records(text)
    errors, specs = RowErrors(), []
    for number, record in enumerate(records, start=1):
        spec = _spec(number, record, errors, default_source)
        if spec is not None:
            specs.append((number, spec))
    if errors:
        raise RejectedBatch(errors)
    return specs


def national_targets() -> Numbered:
    """The National Assembly's 2025 and 2026 targets shipped with govops."""
    text = resources.files("govops.targets").joinpath("data", NATIONAL_TARGETS).read_text("utf-8")
    return read_targets_text(text, "csv", default_source=NATIONAL_TARGETS)


def _csv_records(text: str) -> list[Mapping[str, Any]]:
    lines = [line for line in io.StringIO(text) if not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    try:
        fieldnames = reader.fieldnames or []
        records: list[Mapping[str, Any]] = list(reader)
    except csv.Error as error:
        raise InvalidRequest(f"the file is not readable CSV: {error}", field="file") from error
    missing = [name for name in REQUIRED if name not in fieldnames]
    if missing:
        raise InvalidRequest(
            f"the header lacks {', '.join(missing)}; it needs {', '.join(REQUIRED)} "
            f"and may have {', '.join(OPTIONAL)}",
            field="header",
        )
    return records


def _yaml_records(text: str) -> list[Mapping[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidRequest(f"the file is not valid YAML: {error}", field="file") from error
    if isinstance(data, Mapping):
        data = data.get("targets")
    if not isinstance(data, list):
        raise InvalidRequest(
            "a YAML targets file is a list of targets, or a mapping with the list under 'targets'",
            field="file",
        )
    return [item if isinstance(item, Mapping) else {"": item} for item in data]


def _spec(
    number: int, record: Mapping[str, Any], errors: RowErrors, default_source: str
) -> TargetSpec | None:
    if None in record:
        errors.add(number, "row", "has more values than the header has columns")
        return None
    unknown = [key for key in record if key not in REQUIRED + OPTIONAL]
    if unknown:
        errors.add(number, str(unknown[0]), "is not a target column", record[unknown[0]])
        return None
    values = {key: _text(record.get(key)) for key in REQUIRED + OPTIONAL}
    absent = [name for name in REQUIRED if not values[name]]
    if absent:
        errors.add(number, absent[0], "is required")
        return None
    return TargetSpec(
        indicator=values["indicator"] or "",
        area=values["area"] or "",
        period=values["period"] or "",
        comparator=values["comparator"] or "",
        low=values["low"] or "",
        high=values["high"],
        tolerance=values["tolerance"],
        basis=values["basis"] or "level",
        source=values["source"] or default_source,
        source_kind=values["source_kind"] or "other",
        supersedes=values["supersedes"],
        note=values["note"],
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = nfc(str(value)).strip()
    return text or None
