"""Building the demo store: the reference set-up, then published and generated figures.

Both kinds of figures are stored through the ordinary bulk load, as two submissions whose
source says which they are, so every value in the demo traces to one or the other.
Everything is stored in one transaction: a failed build leaves nothing behind.
"""

from __future__ import annotations

import csv
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from govops.catalog.reference import ReferenceLoadReport, load_reference
from govops.core.db import transaction
from govops.datastore.bulk import LoadReport, load_csv_file
from govops.datastore.models import Submission
from govops.demo.chapters import demo_chapters
from govops.demo.figures import Figures
from govops.demo.generate import (
    DemoRow,
    RowMaker,
    demo_context,
    make_figures,
    not_generated,
    published_rows,
    recipe_steps,
)
from govops.demo.published import FILE_NAME

log = logging.getLogger(__name__)

DEMO_KIND = "demo"
PUBLISHED_SOURCE = (
    f"demo: published figures ({FILE_NAME}, from vn_gdp_cpi_annual.csv, vn_reference.md "
    "and the vietnam-provinces unit list)"
)
GENERATED_SOURCE = (
    "demo: generated figures (seeded, deterministic; not statistics of Viet Nam, shaped only "
    "to look like them)"
)
CSV_COLUMNS = ("indicator", "area", "period", "value", "status", "recorded_at", "SEX")


@dataclass
class DemoReport:
    as_of: datetime
    reference: ReferenceLoadReport
    published: LoadReport
    generated: LoadReport
    not_generated: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.published.rows + self.generated.rows


def demo_is_loaded(session: Session) -> bool:
    """True when the demo's figures are in the store (both loads commit together)."""
    return bool(session.scalar(select(exists().where(Submission.kind == DEMO_KIND))))


def build_demo(
    sessions: sessionmaker[Session], console: Console, *, as_of: datetime | None = None
) -> DemoReport:
    """Load the reference set-up and the demo figures known at ``as_of`` (default now)."""
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError(f"as_of {as_of.isoformat()} needs a time zone, such as +07:00")
    instant = as_of or datetime.now(UTC)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        Progress(*columns, console=console) as progress,
        transaction(sessions) as session,
        tempfile.TemporaryDirectory(prefix="govops-demo-") as folder,
    ):
        task = progress.add_task("areas and catalogue", total=1)
        reference = load_reference(session, include_communes=True)
        progress.advance(task)

        ctx = demo_context(session, instant)
        task = progress.add_task("generating figures", total=len(recipe_steps()))
        made = make_figures(ctx, lambda _label: progress.advance(task))
        missing = not_generated(ctx, made)

        published_file = Path(folder) / "demo_published_figures.csv"
        generated_file = Path(folder) / "demo_generated_figures.csv"
        write_rows(published_file, published_rows(ctx.published, instant))
        maker = RowMaker(ctx, made)
        task = progress.add_task("writing rows", total=len(made))
        write_rows(generated_file, _counted(maker, made.values(), progress, task))

        published_load = _load(session, published_file, PUBLISHED_SOURCE, progress)
        generated_load = _load(session, generated_file, GENERATED_SOURCE, progress)
        for chapter in demo_chapters():
            chapter(session, instant, progress)

    if missing:
        log.warning("the demo has no figures for %s", ", ".join(missing))
    log.info(
        "demo built as of %s: %s published and %s generated rows",
        instant.isoformat(),
        published_load.rows,
        generated_load.rows,
    )
    return DemoReport(instant, reference, published_load, generated_load, missing)


def _counted(
    maker: RowMaker, made: Iterable[Figures], progress: Progress, task: TaskID
) -> Iterable[DemoRow]:
    for figures in made:
        yield from maker.rows(figures)
        progress.advance(task)


def write_rows(path: Path, rows: Iterable[DemoRow]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow(
                (
                    row.indicator,
                    row.area,
                    row.period,
                    row.value,
                    row.status,
                    row.recorded_at.isoformat(),
                    row.sex,
                )
            )
            count += 1
    return count


def _load(session: Session, path: Path, source: str, progress: Progress) -> LoadReport:
    task = progress.add_task(f"loading {path.stem.replace('_', ' ')}", total=path.stat().st_size)
    report = load_csv_file(
        session, path, kind=DEMO_KIND, progress=lambda n: progress.advance(task, n)
    )
    submission = session.get(Submission, report.submission_id)
    assert submission is not None
    submission.source = source
    session.flush()
    return report
