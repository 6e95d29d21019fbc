"""The demo's chapters beyond the figures: each domain adds its own in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.progress import Progress
from sqlalchemy.orm import Session

DemoChapter = Callable[[Session, datetime, Progress], None]


def demo_chapters() -> list[DemoChapter]:
    """In the order they build: later chapters may use what earlier ones made."""
    from govops.alerts.demo import build_alerts_demo
    from govops.exchange.demo import build_exchange_demo
    from govops.forecasting.demo import build_forecasting_demo
    from govops.targets.demo import build_targets_demo
    from govops.tasks.demo import build_tasks_demo

    return [
        build_exchange_demo,
        build_tasks_demo,
        build_targets_demo,
        build_forecasting_demo,
        build_alerts_demo,
    ]
