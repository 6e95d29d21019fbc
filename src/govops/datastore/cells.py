"""A cell: one value of a series for one period, with where it came from."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

# Worse statuses win when values are combined: a sum with a provisional part is provisional.
STATUSES_BEST_FIRST = ("A", "P", "E", "F", "M")
_STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES_BEST_FIRST)}


# A named tuple rather than a frozen dataclass: an answer builds thousands of cells, and a
# tuple is made at a third of the cost.
class Cell(NamedTuple):
    value: Decimal | None
    status: str
    recorded_at: datetime | None = None
    note: str | None = None
    # True when the value was calculated (added up, averaged, divided) rather than stored.
    computed: bool = False


Cells = dict[date, Cell]

# Builds a named tuple (a cell, an answer's point) from all its fields in order, without
# NamedTuple's argument handling: a third of the cost, and an answer makes thousands.
new_record = tuple.__new__


def combined_status(cells: Iterable[Cell]) -> str:
    return worst_status({cell.status for cell in cells})


def worst_status(statuses: set[str]) -> str:
    if len(statuses) == 1:
        return next(iter(statuses))  # the usual case, thousands of times per answer
    return max(statuses, key=_STATUS_RANK.__getitem__, default="A")


def latest_recorded(cells: Iterable[Cell]) -> datetime | None:
    stamps = [cell.recorded_at for cell in cells]
    if None in stamps:
        return max((stamp for stamp in stamps if stamp is not None), default=None)
    return max(stamps, default=None)  # type: ignore[type-var]


def missing(note: str) -> Cell:
    return Cell(None, "M", None, note)
