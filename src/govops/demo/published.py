"""The published figures the demo stores as announced (``data/vn_published_figures.csv``).

Each line is one vintage of one figure: a value as published at an instant, with where it
was published and how sure the source is of it. Lines starting with ``#`` are the file's
header and cite its sources.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from importlib import resources

from govops.core.errors import InvalidRequest

FILE_NAME = "vn_published_figures.csv"
COLUMNS = ("indicator", "area", "period", "value", "recorded_at", "source", "confidence")
CONFIDENCE = ("high", "medium", "low")


@dataclass(frozen=True)
class PublishedFigure:
    indicator: str
    area: str
    period: str
    value: Decimal
    recorded_at: datetime
    source: str
    confidence: str


class PublishedFigures:
    """The published vintages, with the latest value of each figure at hand."""

    def __init__(self, figures: Iterable[PublishedFigure]) -> None:
        self.figures = sorted(
            figures, key=lambda f: (f.indicator, f.area, f.period, f.recorded_at)
        )
        self._latest = {(f.indicator, f.area, f.period): f.value for f in self.figures}

    def latest(self, indicator: str, area: str, period: str) -> Decimal | None:
        return self._latest.get((indicator, area, period))

    def covers(self, indicator: str, area: str, period: str) -> bool:
        return (indicator, area, period) in self._latest

    def known_by(self, instant: datetime) -> list[PublishedFigure]:
        return [figure for figure in self.figures if figure.recorded_at <= instant]

    def areas_with(self, indicator: str, period: str) -> set[str]:
        return {f.area for f in self.figures if (f.indicator, f.period) == (indicator, period)}


def read_published_figures() -> PublishedFigures:
    text = resources.files("govops.demo").joinpath(f"data/{FILE_NAME}").read_text("utf-8")
    return PublishedFigures(parse_published_lines(text.splitlines()))


def parse_published_lines(lines: Iterable[str]) -> Iterator[PublishedFigure]:
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if not line.startswith("#")]
    reader = csv.reader(line for _n, line in numbered)
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise InvalidRequest(
            f"{FILE_NAME} must start (after its # lines) with the header {','.join(COLUMNS)}; "
            f"found {','.join(header or [])}"
        )
    for (number, _line), cells in zip(numbered[1:], reader, strict=True):
        if cells:
            yield _figure(number, cells)


def _figure(line: int, cells: list[str]) -> PublishedFigure:
    if len(cells) != len(COLUMNS):
        raise InvalidRequest(f"{FILE_NAME} line {line}: {len(cells)} cells, expected 7")
    row = dict(zip(COLUMNS, cells, strict=True))
    try:
        value = Decimal(row["value"])
    except InvalidOperation:
        raise InvalidRequest(
            f"{FILE_NAME} line {line}, value: {row['value']!r} is not a number"
        ) from None
    try:
        recorded_at = datetime.fromisoformat(row["recorded_at"])
    except ValueError:
        recorded_at = None
    if recorded_at is None or recorded_at.tzinfo is None:
        raise InvalidRequest(
            f"{FILE_NAME} line {line}, recorded_at: {row['recorded_at']!r} is not an ISO 8601 "
            "instant with a zone, such as 2025-04-06T09:00:00+07:00"
        )
    if row["confidence"] not in CONFIDENCE:
        raise InvalidRequest(
            f"{FILE_NAME} line {line}, confidence: {row['confidence']!r} is not one of "
            + ", ".join(CONFIDENCE)
        )
    return PublishedFigure(
        row["indicator"],
        row["area"],
        row["period"],
        value,
        recorded_at,
        row["source"],
        row["confidence"],
    )
