"""A cell: one value of a series for one period, with where it came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

# Worse statuses win when values are combined: a sum with a provisional part is provisional.
_STATUS_RANK = {"A": 0, "P": 1, "E": 2, "F": 3, "M": 4}


@dataclass(frozen=True, slots=True)
class Cell:
    value: Decimal | None
    status: str
    recorded_at: datetime | None = None
    note: str | None = None
    # True when the value was calculated (added up, averaged, divided) rather than stored.
    computed: bool = False


Cells = dict[date, Cell]


def combined_status(cells: Iterable[Cell]) -> str:
    return max((cell.status for cell in cells), key=_STATUS_RANK.__getitem__, default="A")


def latest_recorded(cells: Iterable[Cell]) -> datetime | None:
    return max((c.recorded_at for c in cells if c.recorded_at is not None), default=None)


def missing(note: str) -> Cell:
    return Cell(None, "M", None, note)
