"""The situation room's own pages: home, its headline list, coverage, and wall mode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Form, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.orm import Session

from govops.core.api import app_settings
from govops.core.db import transaction
from govops.core.errors import InvalidRequest
from govops.security import audit
from govops.security.permissions import Permission
from govops.security.web import actor_of
from govops.web import i18n
from govops.web.auth import DbSession, Viewer, check_form_token, require_page
from govops.web.i18n import N_
from govops.web.maps import DEFAULT_INDICATOR, latest_map, mappable
from govops.web.room import (
    Card,
    RoomFigures,
    coverage_by_agency,
    headline_codes,
    parse_headline_list,
    room_figures,
    save_headline_codes,
)
from govops.web.shell import NavEntry, PageSection, fragment, page_router, render

router = page_router()
Reader = Annotated[Viewer, require_page(Permission.DATA_READ)]
Editor = Annotated[Viewer, require_page(Permission.CATALOG_WRITE)]
# Wall mode: each panel shows this long; figures are fetched again this often.
WALL_ROTATE_SECONDS = 20
WALL_REFRESH_SECONDS = 60
# A 1080p wall holds two rows of five cards; a longer list is shown a screenful at a time.
CARDS_PER_SCREEN = 10
# The panels a wall may rotate, in the order it shows them unless told otherwise.
WALL_PANELS = ("headlines", "map", "freshness", "scorecard")
PANEL_NAMES = {
    "headlines": N_("Headline indicators"),
    "map": N_("Map of the provinces"),
    "freshness": N_("Data freshness"),
    "scorecard": N_("Programme scorecard"),
}


def today_in_vietnam(request: Request) -> date:
    return datetime.now(ZoneInfo(app_settings(request).timezone)).date()


@router.get("/")
def home(request: Request, session: DbSession, viewer: Reader) -> Response:
    today = today_in_vietnam(request)
    figures = _room_figures(request, session, viewer, today)
    context = {"cards": figures.cards, "score": figures.score, "today": today}
    return render(request, viewer, "home.html", context)


def _room_figures(request: Request, session: Session, viewer: Viewer, today: date) -> RoomFigures:
    codes = headline_codes(app_settings(request).data_dir)
    return room_figures(session, request.app.state.answers, codes, viewer.principal, today)


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
    score = _room_figures(request, session, viewer, today).score
    agencies = coverage_by_agency(session, score, viewer.principal, viewer.language)
    context = {"score": score, "today": today, "agencies": agencies}
    return render(request, viewer, "coverage.html", context)


@dataclass(frozen=True)
class WallChoice:
    """What a wall shows, as given in its address: panels in order, the map's indicator."""

    panels: tuple[str, ...]
    indicator: str
    rotate: int
    refresh: int

    def query_string(self) -> str:
        return urlencode({"panel": list(self.panels), "indicator": self.indicator}, doseq=True)


def wall_choice(panel: list[str] | None, indicator: str, rotate: int, refresh: int) -> WallChoice:
    chosen = tuple(dict.fromkeys(name.strip() for name in panel or [] if name.strip()))
    for name in chosen:
        if name not in WALL_PANELS:
            raise InvalidRequest(
                f"panel: '{name}' is not a panel of the wall; choose from "
                + ", ".join(WALL_PANELS),
                field="panel",
            )
    return WallChoice(chosen or WALL_PANELS, indicator.upper(), rotate, refresh)


@dataclass(frozen=True)
class Screen:
    """One screenful of the wall: a panel, or a part of a long list of headline cards."""

    key: str
    panel: str
    cards: list[Card]


def wall_screens(choice: WallChoice, figures: dict[str, Any]) -> list[Screen]:
    screens = []
    for panel in choice.panels:
        if panel != "headlines":
            screens.append(Screen(panel, panel, []))
            continue
        cards = figures["cards"]
        parts = [cards[i : i + CARDS_PER_SCREEN] for i in range(0, len(cards), CARDS_PER_SCREEN)]
        for number, part in enumerate(parts or [[]], start=1):
            screens.append(Screen(panel if number == 1 else f"{panel}-{number}", panel, part))
    return screens


PanelQuery = Annotated[list[str] | None, Query(max_length=20)]
MapIndicator = Annotated[str, Query(max_length=60)]
Seconds = Annotated[int, Query(ge=0, le=3600)]


@router.get("/wall")
def wall(
    request: Request,
    session: DbSession,
    viewer: Reader,
    panel: PanelQuery = None,
    indicator: MapIndicator = DEFAULT_INDICATOR,
    rotate: Seconds = WALL_ROTATE_SECONDS,
    refresh: Seconds = WALL_REFRESH_SECONDS,
) -> Response:
    choice = wall_choice(panel, indicator, rotate, refresh)
    figures = _wall_figures(request, session, viewer, choice)
    context = {
        **figures,
        "screens": wall_screens(choice, figures),
        "choice": choice,
        "all_panels": WALL_PANELS,
        "panel_names": PANEL_NAMES,
        "mappable": mappable(session, viewer.principal),
    }
    return render(request, viewer, "wall.html", context)


@router.get("/wall/data")
def wall_data(
    request: Request,
    session: DbSession,
    viewer: Reader,
    panel: PanelQuery = None,
    indicator: MapIndicator = DEFAULT_INDICATOR,
) -> JSONResponse:
    """Each chosen panel's HTML as it is now, swapped in by the wall without a reload."""
    choice = wall_choice(panel, indicator, WALL_ROTATE_SECONDS, WALL_REFRESH_SECONDS)
    figures = _wall_figures(request, session, viewer, choice)
    panels = {
        screen.key: fragment(
            request,
            viewer,
            "wall_panel.html",
            {**figures, "panel": screen.panel, "key": screen.key, "cards": screen.cards},
        )
        for screen in wall_screens(choice, figures)
    }
    gettext = i18n.translations(viewer.language).gettext
    updated = i18n.instant(figures["updated"], viewer.language)
    return JSONResponse({"panels": panels, "updated": gettext("Updated") + " " + updated})


def _wall_figures(
    request: Request, session: Session, viewer: Viewer, choice: WallChoice
) -> dict[str, Any]:
    """The figures of the chosen panels only: a wall of one map reads no headline."""
    today = today_in_vietnam(request)
    figures: dict[str, Any] = {"updated": datetime.now(i18n.VIETNAM)}
    if {"headlines", "scorecard", "freshness"} & set(choice.panels):
        room = _room_figures(request, session, viewer, today)
        figures.update(cards=room.cards, score=room.score)
    if "map" in choice.panels:
        figures["wall_map"] = latest_map(
            session, choice.indicator, viewer.principal, viewer.language
        )
    return figures


section = PageSection(
    router,
    nav=(
        NavEntry("/", "Phòng tình hình", "Situation room", Permission.DATA_READ, order=10),
        NavEntry("/coverage", "Độ phủ dữ liệu", "Coverage", Permission.DATA_READ, order=30),
        NavEntry("/wall", "Màn hình tường", "Wall mode", Permission.DATA_READ, order=90),
    ),
)
