"""Checks of what the schema leaves to the writers: every observation's references.

The observation table carries no foreign keys (they cost bulk loads most of their
speed), so this is the proof, run by `govops db check`, that none was needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.datastore.models import Observation, Series, Submission


@dataclass(frozen=True)
class ReferenceCheck:
    observations: int
    without_series: int
    without_submission: int

    @property
    def sound(self) -> bool:
        return self.without_series == 0 and self.without_submission == 0


def check_observation_references(session: Session) -> ReferenceCheck:
    """Count observations whose series or submission does not exist (both should be 0)."""
    total = session.scalar(select(func.count()).select_from(Observation)) or 0
    no_series = select(Series.id).where(Series.id == Observation.series_id).exists()
    no_submission = (
        select(Submission.id).where(Submission.id == Observation.submission_id).exists()
    )
    without_series = session.scalar(select(func.count()).where(~no_series)) or 0
    without_submission = session.scalar(select(func.count()).where(~no_submission)) or 0
    return ReferenceCheck(total, without_series, without_submission)
