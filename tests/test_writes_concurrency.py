"""Writes to the same indicators at the same time queue; none fails or is half stored."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from conftest import Store
from govops.core.db import transaction
from govops.datastore.models import Observation, Series
from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload, store_observations

ROUNDS = 5
MONTHS = [f"2024-M{month:02d}" for month in range(1, 13)]


def batch(writer: int, round_number: int) -> list[IncomingRow]:
    """Both indicators for a year of months; the second writer meets them in reverse."""
    rows = [
        (indicator, month)
        for month in MONTHS
        for indicator in ("BUDGET_REVENUE", "BUDGET_SPENDING")
    ]
    if writer == 1:
        rows.reverse()
    value = 1000 + 10 * round_number + writer
    return [
        IncomingRow(number, indicator, "VN", month, str(value))
        for number, (indicator, month) in enumerate(rows, start=2)
    ]


def test_two_writers_creating_the_same_series_at_once_both_store_every_row(
    store: Store,
) -> None:
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for number in range(ROUNDS):
                content = f"writer {writer} round {number}".encode()
                with transaction(store.sessions) as session:
                    store_observations(
                        session,
                        batch(writer, number),
                        Payload(content, "text/csv", source=f"writer {writer}"),
                    )
        except BaseException as error:  # the test reports it, the thread must not
            failures.append(error)

    writers = [threading.Thread(target=write, args=(writer,)) for writer in (0, 1)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(120)

    assert failures == []
    with store.session() as session:
        series = session.scalar(select(func.count()).select_from(Series))
        stored = session.scalar(select(func.count()).select_from(Observation))
    # Both writers made the same two series at once: one of them created each, no copy.
    assert series == 2
    # Every value differs from the one before it, so every row is a new vintage.
    assert stored == 24 * 2 * ROUNDS
