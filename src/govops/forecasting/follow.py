"""Starting forecasts when new data arrives, from the datastore's event outbox.

Every stored batch announces itself in ``event_outbox`` in the same transaction as its
values. ``forecast_new_data`` reads the events after this package's cursor, finds the
indicators the batches touched, runs the forecasts of those indicators (which first
measures earlier forecasts against the new actuals), and moves the cursor
in the same transaction: a batch is followed once, and none is missed. ``Follower`` runs
it in a background thread (``govops worker`` starts one), and ``govops forecast follow``
in a loop of its own. The cursor row is locked while a pass runs, so followers in several
processes take turns on PostgreSQL instead of forecasting the same batch twice.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from govops.catalog.models import Indicator
from govops.core.db import now_utc, transaction
from govops.datastore.formula import Formula
from govops.datastore.models import Observation, OutboxEvent, Series
from govops.forecasting.batch import Progress, run_forecasts, series_to_forecast
from govops.forecasting.models import ForecastCursor, ForecastRun

log = logging.getLogger(__name__)

CURSOR = "outbox"
DATA_EVENTS = ("observations.stored", "observations.loaded")
# Events read per call; a backlog is worked through over several calls.
MAX_EVENTS = 1_000


def forecast_new_data(
    session: Session,
    *,
    scheduler: object | None = None,
    progress: Progress | None = None,
) -> ForecastRun | None:
    """Forecast the indicators that received data since the last call; None if none did."""
    cursor = _cursor(session)
    events = list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.id > cursor.last_event_id)
            .order_by(OutboxEvent.id)
            .limit(MAX_EVENTS)
        )
    )
    if not events:
        return None
    indicators = _indicators_of(session, events)
    _advance(cursor, events[-1].id, now_utc())
    if not indicators:
        return None

    refs = series_to_forecast(session, indicators=sorted(indicators))
    log.info("new data for %s: forecasting %s series", ", ".join(sorted(indicators)), len(refs))
    return run_forecasts(session, refs, trigger="new data", scheduler=scheduler, progress=progress)


def _indicators_of(session: Session, events: list[OutboxEvent]) -> set[str]:
    submissions = set()
    for event in events:
        if event.type in DATA_EVENTS:
            submission = json.loads(event.data).get("submission")
            if isinstance(submission, int):
                submissions.add(submission)
    if not submissions:
        return set()
    touched = set(
        session.scalars(
            select(Indicator.code)
            .join(Series, Series.indicator_id == Indicator.id)
            .join(Observation, Observation.series_id == Series.id)
            .where(Observation.submission_id.in_(submissions))
            .distinct()
        )
    )
    # Derived indicators follow their inputs: a new export value changes the trade balance.
    for indicator in session.scalars(select(Indicator).where(Indicator.formula.is_not(None))):
        if set(Formula(indicator.formula or "").inputs) & touched:
            touched.add(indicator.code)
    return touched


def _cursor(session: Session) -> ForecastCursor:
    cursor = session.get(ForecastCursor, CURSOR, with_for_update=True)
    if cursor is None:
        cursor = ForecastCursor(name=CURSOR, last_event_id=0, updated_at=now_utc())
        session.add(cursor)
        session.flush()
    return cursor


def _advance(cursor: ForecastCursor, event_id: int, at: datetime) -> None:
    cursor.last_event_id = event_id
    cursor.updated_at = at


class Follower:
    """Forecasts what new data touches, every ``every`` seconds, in a background thread.

    A pass that fails is logged and retried at the next look; the events it did not
    finish stay after the cursor, since its transaction rolled back.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        every: float = 60.0,
        scheduler: object | None = None,
    ) -> None:
        self.sessions = sessions
        self.every = every
        self.scheduler = scheduler
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> ForecastRun | None:
        with transaction(self.sessions) as session:
            return forecast_new_data(session, scheduler=self.scheduler)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="forecast-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the pass under way, if any."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run = self.run_once()
            except Exception:
                log.exception("forecasting new data failed; trying again at the next look")
            else:
                if run is not None:
                    log.info(
                        "forecast run %s after new data: %s series, %s refused",
                        run.id,
                        run.series_count,
                        run.refused_count,
                        extra={"run": run.id},
                    )
            self._stop.wait(self.every)
