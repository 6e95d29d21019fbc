"""The demo's forecasting: headline national series, forecast now and half a year ago.

The earlier run uses only what was known six months before the demo's instant, so the
actuals published since have already met it: the accuracy page has realised errors to
show. Only headline national series are forecast to keep the build quick; every other
series is forecast when first asked for, or by `govops forecast run`.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from rich.progress import Progress, TaskID
from sqlalchemy.orm import Session

from govops.catalog.areas import NATION_CODE
from govops.forecasting.accuracy import measure_realised_errors
from govops.forecasting.batch import SeriesRef, run_forecasts

log = logging.getLogger(__name__)

HEADLINE = (
    "CPI",
    "RETAIL_SALES",
    "EXPORTS",
    "TRADE_BALANCE",
    "BUDGET_REVENUE",
    "PUBLIC_INVESTMENT_DISBURSED",
    "GDP_GROWTH_Q",
    "GDP_GROWTH_A",
    "CPI_AVG_GROWTH",
)
EARLIER = timedelta(days=182)


def build_forecasting_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's forecasting to a store that holds the demo figures."""
    started = time.perf_counter()
    refs = [SeriesRef(code, NATION_CODE) for code in HEADLINE]
    for label, instant in (("half a year ago", as_of - EARLIER), ("now", None)):
        task = progress.add_task(f"forecasts as of {label}", total=len(refs))

        def report(_what: str, _done: int, _total: int, task: TaskID = task) -> None:
            if _what == "forecasting":
                progress.update(task, completed=_done)

        run_forecasts(session, refs, trigger="demo", as_of=instant, progress=report)
    measure_realised_errors(session)
    log.info(
        "demo forecasts of %s series made in %.1f s", len(refs), time.perf_counter() - started
    )
