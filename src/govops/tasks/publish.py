"""Publishing scorecards into the datastore as indicators, month by month and agency by agency.

The indicators and their AGENCY dimension are made in the catalogue from this package's
``data/indicators.yaml`` when missing. Values go through the datastore's ordinary write
path, so they are validated, kept with every vintage and announced through the outbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.areas import NATION_CODE
from govops.catalog.models import (
    Agency,
    Dimension,
    DimensionValue,
    Indicator,
    IndicatorGroup,
    Unit,
)
from govops.core.periods import Frequency, Period
from govops.core.text import fold
from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload, Receipt, store_observations
from govops.security import audit
from govops.security.permissions import OPERATOR
from govops.tasks.scorecard import ScoreLine, compute_scorecard
from govops.tasks.status import TaskStatus

OWNER_AGENCY = "VPCP"
GROUP = "MINISTRY_LOCAL"


@dataclass(frozen=True)
class Publication:
    receipt: Receipt
    months: int
    agencies: int


def read_indicator_file() -> dict[str, Any]:
    text = resources.files("govops.tasks").joinpath("data/indicators.yaml").read_text("utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def ensure_indicators(session: Session) -> list[str]:
    """Create what the publication needs and is missing; answer the codes created."""
    document = read_indicator_file()
    created: list[str] = []
    for unit in document["units"]:
        if session.get(Unit, unit["code"]) is None:
            session.add(Unit(**unit))
            created.append(unit["code"])
    dimension = _ensure_dimension(session, document["dimension"], created)
    session.flush()
    for item in document["indicators"]:
        if session.scalar(select(Indicator.id).where(Indicator.code == item["code"])) is None:
            session.add(_indicator(session, item, dimension))
            created.append(item["code"])
    session.flush()
    return created


def publish_scorecards(
    session: Session, months: list[Period], *, today: datetime | None = None
) -> Publication:
    """Store each agency's rates for each month as of ``today``, as one submission."""
    from govops.tasks.status import vietnam_today

    ensure_indicators(session)
    day = vietnam_today(today)
    rows: list[IncomingRow] = []
    agencies: set[str] = set()
    for month in months:
        card = compute_scorecard(
            session, today=day, reader=OPERATOR, start=month.start, end=month.end
        )
        for line in card.lines:
            agencies.add(line.key)
            rows.extend(_rows(line, month, len(rows)))
    content = json.dumps(
        {"as_of": day.isoformat(), "months": [m.code for m in months], "rows": len(rows)}
    ).encode()
    payload = Payload(content, "application/json", source="tasks scorecard")
    receipt = store_observations(session, rows, payload, agency_id=_agency_id(session))
    audit.record(
        session,
        "tasks.scorecard.publish",
        by=audit.COMMAND_LINE,
        object_type="submission",
        object_id=receipt.submission_id,
        summary=f"{len(rows)} values for {len(months)} months, {len(agencies)} agencies",
    )
    return Publication(receipt, len(months), len(agencies))


def _rows(line: ScoreLine, month: Period, already: int) -> list[IncomingRow]:
    values: list[tuple[str, Decimal | int | None]] = [
        ("TASK_ON_TIME_RATE", line.on_time_rate),
        ("TASK_COMPLETION_RATE", line.completion_rate),
        ("TASK_OVERDUE", line.counts[TaskStatus.OVERDUE]),
    ]
    return [
        IncomingRow(
            number=already + index,
            indicator=code,
            area=NATION_CODE,
            period=month.code,
            value=None if value is None else str(value),
            status="A" if value is not None else "M",
            dims={"AGENCY": line.key},
        )
        for index, (code, value) in enumerate(values, start=1)
    ]


def _ensure_dimension(session: Session, item: dict[str, Any], created: list[str]) -> Dimension:
    dimension = session.scalar(select(Dimension).where(Dimension.code == item["code"]))
    if dimension is None:
        dimension = Dimension(**item)
        session.add(dimension)
        created.append(item["code"])
    known = {value.code for value in dimension.values}
    for agency in session.scalars(select(Agency).order_by(Agency.code)):
        if agency.code not in known:
            dimension.values.append(
                DimensionValue(code=agency.code, name_vi=agency.name_vi, name_en=agency.name_en)
            )
    return dimension


def _indicator(session: Session, item: dict[str, Any], dimension: Dimension) -> Indicator:
    owner = session.scalar(select(Agency).where(Agency.code == OWNER_AGENCY))
    group = session.scalar(select(IndicatorGroup).where(IndicatorGroup.code == GROUP))
    indicator = Indicator(
        code=item["code"],
        name_vi=item["name_vi"],
        name_en=item["name_en"],
        description_vi=item["description_vi"],
        description_en=item["description_en"],
        unit_code=item["unit"],
        frequency=Frequency.MONTHLY.value,
        decimals=item["decimals"],
        # Rates of agencies neither add up nor average into a national figure.
        area_rule="none",
        time_rule="none",
        classification="internal",
        owner_agency_id=owner.id if owner else None,
        search_text=fold(f"{item['code']} {item['name_vi']} {item['name_en']}"),
        updated_at=datetime.now(UTC),
    )
    indicator.dimensions = [dimension]
    indicator.groups = [group] if group else []
    return indicator


def _agency_id(session: Session) -> int | None:
    return session.scalar(select(Agency.id).where(Agency.code == OWNER_AGENCY))
