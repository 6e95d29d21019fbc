"""The demo's targets."""

from __future__ import annotations

from datetime import datetime

from rich.progress import Progress
from sqlalchemy.orm import Session


def build_targets_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's targets to a store that holds the demo figures."""
