"""The forecasting pages: how accurate past forecasts turned out, and the latest runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Request, Response
from sqlalchemy import select

from govops.catalog.models import Indicator
from govops.forecasting.accuracy import accuracy_records
from govops.forecasting.models import ForecastRun
from govops.security.permissions import Permission
from govops.web.auth import DbSession, Viewer, require_page
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.DATA_READ)]
RUNS_SHOWN = 10


@router.get("/forecasts/accuracy")
def accuracy_page(request: Request, session: DbSession, viewer: Reader) -> Response:
    records = accuracy_records(session)
    codes = {record.indicator for record in records}
    indicators = {
        i.code: i for i in session.scalars(select(Indicator).where(Indicator.code.in_(codes)))
    }
    runs = session.scalars(select(ForecastRun).order_by(ForecastRun.id.desc()).limit(RUNS_SHOWN))
    context = {"records": records, "indicators": indicators, "runs": list(runs)}
    return render(request, viewer, "forecasting/accuracy.html", context)


section = PageSection(
    router,
    templates=Path(__file__).with_name("templates"),
    nav=(
        NavEntry(
            "/forecasts/accuracy",
            "Độ chính xác dự báo",
            "Forecast accuracy",
            Permission.DATA_READ,
            order=35,
        ),
    ),
)
