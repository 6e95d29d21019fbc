"""The targets page: every current target with its status, probability and latest actual.

The page's texts are in this module in both languages, so the package carries its own
wording (Vietnamese first) without entries in the shared translation catalogue.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from govops.catalog.models import Indicator
from govops.catalog.service import is_visible
from govops.security.permissions import Permission
from govops.targets.assessment import Assessment, Status, assess_all
from govops.targets.attainment import Basis, Comparator
from govops.targets.service import goal_of, list_targets
from govops.web import i18n
from govops.web.auth import DbSession, Viewer, require_page
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.DATA_READ)]

TEXTS = {
    "title": ("Mục tiêu kế hoạch", "Plan targets"),
    "intro": (
        "Trạng thái được tính từ số liệu: đạt hoặc không đạt khi kỳ đã đủ số liệu; nếu chưa, "
        "theo xác suất đạt mục tiêu.",
        "Status follows from the figures: achieved or missed once the period is known; "
        "otherwise from the probability of meeting the target.",
    ),
    "year": ("Năm", "Year"),
    "all": ("Tất cả", "All"),
    "show": ("Xem", "Show"),
    "indicator": ("Chỉ tiêu", "Indicator"),
    "area": ("Địa bàn", "Area"),
    "period": ("Kỳ", "Period"),
    "target": ("Mục tiêu", "Target"),
    "latest": ("Số liệu mới nhất", "Latest actual"),
    "expected": ("Dự kiến cuối kỳ (khoảng 80%)", "Expected at period end (80% range)"),
    "probability": ("Khả năng đạt", "Probability"),
    "status": ("Trạng thái", "Status"),
    "source": ("Căn cứ", "Source"),
    "none": ("Chưa có mục tiêu nào.", "No targets yet."),
    "growth": ("tăng so với kỳ trước, %", "growth on previous period, %"),
    "change": ("thay đổi so với kỳ trước", "change on previous period"),
    "reduction": ("giảm so với kỳ trước", "reduction on previous period"),
}


def texts(language: str) -> dict[str, str]:
    index = 0 if language == "vi" else 1
    return {key: pair[index] for key, pair in TEXTS.items()}


@router.get("/targets")
def targets_page(
    request: Request,
    session: DbSession,
    viewer: Reader,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
) -> Response:
    every = list_targets(session)
    years = sorted({target.period_start.year for target in every}, reverse=True)
    shown = [t for t in every if year is None or t.period_start.year == year]
    visible = [t for t in shown if _visible(session, t.indicator_id, viewer)]
    rows = [_row(item, viewer.language) for item in assess_all(session, visible)]
    context = {"t": texts(viewer.language), "rows": rows, "years": years, "year": year}
    return render(request, viewer, "targets/list.html", context)


def _visible(session: Session, indicator_id: int, viewer: Viewer) -> bool:
    return is_visible(session.get_one(Indicator, indicator_id), viewer.principal)


def _row(item: Assessment, language: str) -> dict[str, object]:
    decimals = item.indicator.decimals
    expected = None
    if item.expected is not None:
        expected = i18n.number(item.expected, decimals, language)
        if item.lo80 is not None and item.hi80 is not None:
            low = i18n.number(item.lo80, decimals, language)
            high = i18n.number(item.hi80, decimals, language)
            expected += f" ({low} – {high})"
    return {
        "item": item,
        "goal": describe(item, language),
        "probability": None if item.probability is None else f"{item.probability:.0%}",
        "expected": expected,
        "status": status_label(item.status, language),
        "status_code": item.status.value,
    }


def describe(item: Assessment, language: str) -> str:
    """The target in the reader's words and number format: "≥ 10", "5.400 – 5.500"."""
    goal = goal_of(item.target)

    def show(value: object) -> str:
        text = str(value)
        places = len(text.split(".")[1]) if "." in text else 0
        return i18n.number(value, places, language)  # type: ignore[arg-type]

    if goal.comparator is Comparator.BETWEEN:
        words = f"{show(goal.low)} – {show(goal.high)}"
    elif goal.comparator is Comparator.ABOUT:
        words = f"≈ {show(goal.low)} ± {show(goal.tolerance)}"
    else:
        sign = "≥" if goal.comparator is Comparator.AT_LEAST else "≤"
        words = f"{sign} {show(goal.low)}"
    basis = Basis(item.target.basis)
    if basis is not Basis.LEVEL:
        words += f" ({texts(language)[basis.value]})"
    return words


def status_label(status: Status, language: str) -> str:
    return status.label_vi if language == "vi" else status.label_en.capitalize()


section = PageSection(
    router,
    templates=Path(__file__).with_name("templates"),
    nav=(NavEntry("/targets", "Mục tiêu", "Targets", Permission.DATA_READ, order=35),),
)
