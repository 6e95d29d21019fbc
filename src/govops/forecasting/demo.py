"""The demo's forecasting."""

from __future__ import annotations

from datetime import datetime

from rich.progress import Progress
from sqlalchemy.orm import Session


def build_forecasting_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's forecasting to a store that holds the demo figures."""
