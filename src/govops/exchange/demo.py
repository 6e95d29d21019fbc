"""The demo's exchange."""

from __future__ import annotations

from datetime import datetime

from rich.progress import Progress
from sqlalchemy.orm import Session


def build_exchange_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's exchange to a store that holds the demo figures."""
