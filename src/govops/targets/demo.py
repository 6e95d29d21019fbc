"""The demo's targets: the National Assembly's national targets and invented provincial ones.

Provincial targets are growth targets against the previous year, so they are fixed by the
demo's year alone and every build makes the same ones. Their sources say they are
invented: provincial plans are not in our reference data.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.progress import Progress
from sqlalchemy.orm import Session

from govops.security import audit
from govops.targets.files import national_targets
from govops.targets.service import SourceKind, TargetSpec, load_targets

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# (area, indicator, comparator, low, high): growth in percent on the previous year.
PROVINCIAL = (
    ("01", "RETAIL_SALES", "at_least", "9", None),
    ("79", "RETAIL_SALES", "at_least", "12", None),
    ("48", "RETAIL_SALES", "at_least", "20", None),
    ("79", "EXPORTS", "between", "10", "12"),
    ("31", "BUDGET_REVENUE", "at_least", "8", None),
    ("92", "PUBLIC_INVESTMENT_DISBURSED", "at_least", "15", None),
    ("01", "TRAFFIC_DEATHS", "at_most", "-5", None),
)


def build_targets_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's targets to a store that holds the demo figures."""
    year = as_of.astimezone(VIETNAM).year
    specs = national_targets() + list(enumerate(provincial_targets(year), start=1000))
    task = progress.add_task("targets", total=1)
    load_targets(session, specs, by=audit.COMMAND_LINE)
    progress.advance(task)


def provincial_targets(year: int) -> list[TargetSpec]:
    return [
        TargetSpec(
            indicator=indicator,
            area=area,
            period=str(year),
            comparator=comparator,
            low=low,
            high=high,
            basis="growth",
            source=f"Demo plan of province {area} for {year} (invented for the demo)",
            source_kind=SourceKind.PROVINCIAL_PLAN,
            note="Growth in percent on the previous year",
        )
        for area, indicator, comparator, low, high in PROVINCIAL
    ]
