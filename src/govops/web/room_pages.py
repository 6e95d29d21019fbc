"""The situation room's own pages: home, its headline list, coverage, and wall mode."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Form, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from govops.core.api import app_settings
from govops.core.db import transaction
from govops.core.errors import InvalidRequest
from govops.security import audit
from govops.security.permissions import Permission
from govops.security.web import actor_of
from govops.web import i18n
from govops.web.auth import DbSession, Viewer, check_form_token, require_page
from govops.web.room import (
    coverage_by_agency,
    headline_cards,
    headline_codes,
    parse_headline_list,
    save_headline_codes,
    scorecard,
)
from govops.web.shell import NavEntry, PageSection, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.DATA_READ)]
Editor = Annotated[Viewer, require_page(Permission.CATALOG_WRITE)]
# Wall mode: each panel shows this long; figures are fetched again this often.
WALL_ROTATE_SECONDS = 20
WALL_REFRESH_SECONDS = 60


def today_in_vietnam(request: Request) -> date:
    return datetime.now(ZoneInfo(app_settings(request).timezone)).date()


@router.get("/")
def home(request: Request, session: DbSession, viewer: Reader) -> Response:
    today = today_in_vietnam(request)
    codes = headline_codes(app_settings(request).data_dir)
    cards = headline_cards(session, codes, viewer.principal, today)
    score = scorecard(session, viewer.principal, today)
    context = {"cards": cards, "score": score, "today": today}
    return render(request, viewer, "home.html", context)


@router.get("/settings/headlines")
def headlines_form(request: Request, viewer: Editor) -> Response:
    codes = headline_codes(app_settings(request).data_dir)
    return render(request, viewer, "headlines.html", {"text": "\n".join(codes), "error": None})


@router.post("/settings/headlines")
def headlines_save(
    request: Request,
    viewer: Editor,
    codes: Annotated[str, Form()],
    form_token: Annotated[str, Form()] = "",
) -> Response:
    check_form_token(viewer, form_token)
    with transaction(request.app.state.sessions) as session:
        try:
            chosen = parse_headline_list(session, codes)
        except InvalidRequest as error:
            context = {"text": codes, "error": error.detail}
            return render(request, viewer, "headlines.html", context, status_code=400)
        save_headline_codes(app_settings(request).data_dir, chosen)
        audit.record(
            session,
            "situation-room.headlines",
            by=actor_of(request, viewer.principal),
            object_type="setting",
            object_id="headlines",
            summary=", ".join(chosen),
        )
    return RedirectResponse("/", status_code=303)


@router.get("/coverage")
def coverage_page(request: Request, session: DbSession, viewer: Reader) -> Response:
    today = today_in_vietnam(request)
    score = scorecard(session, viewer.principal, today)
    agencies = coverage_by_agency(session, score, viewer.principal, viewer.language)
    context = {"score": score, "today": today, "agencies": agencies}
    return render(request, viewer, "coverage.html", context)


@router.get("/wall")
def wall(
    request: Request,
    session: DbSession,
    viewer: Reader,
    rotate: Annotated[int, Query(ge=0, le=3600)] = WALL_ROTATE_SECONDS,
    refresh: Annotated[int, Query(ge=0, le=3600)] = WALL_REFRESH_SECONDS,
) -> Response:
    today = today_in_vietnam(request)
    codes = headline_codes(app_settings(request).data_dir)
    context = {
        "cards": headline_cards(session, codes, viewer.principal, today),
        "score": scorecard(session, viewer.principal, today),
        "rotate": rotate,
        "refresh": refresh,
        "updated": datetime.now(i18n.VIETNAM),
    }
    return render(request, viewer, "wall.html", context)


@router.get("/wall/data")
def wall_data(request: Request, session: DbSession, viewer: Reader) -> JSONResponse:
    """The wall's figures as text ready to show, fetched again without a reload."""
    today = today_in_vietnam(request)
    language = viewer.language
    codes = headline_codes(app_settings(request).data_dir)
    fields: dict[str, str] = {}
    for card in headline_cards(session, codes, viewer.principal, today):
        code = card.indicator.code
        fields[f"{code}.value"] = i18n.number(card.value, card.decimals, language)
        fields[f"{code}.change"] = i18n.signed(card.change, 1, language)
        fields[f"{code}.period"] = i18n.period_label(card.period, language)
    score = scorecard(session, viewer.principal, today)
    for group in score.groups:
        fields[f"coverage.{group.code}"] = i18n.number(group.share * 100, 0, language) + " %"
    gettext = i18n.translations(language).gettext
    updated = i18n.instant(datetime.now(i18n.VIETNAM), language)
    return JSONResponse({"fields": fields, "updated": gettext("Updated") + " " + updated})


section = PageSection(
    router,
    nav=(
        NavEntry("/", "Phòng tình hình", "Situation room", Permission.DATA_READ, order=10),
        NavEntry("/coverage", "Độ phủ dữ liệu", "Coverage", Permission.DATA_READ, order=30),
        NavEntry("/wall", "Màn hình tường", "Wall mode", Permission.DATA_READ, order=90),
    ),
)
