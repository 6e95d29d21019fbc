"""The pages' shell: templates, the navigation, static files, and errors shown as pages.

Every package adds its pages the same way (see docs/situation-room.md)::

    from govops.web.shell import NavEntry, PageSection, page_router

    router = page_router()

    @router.get("/tasks")
    def tasks_page(request: Request, viewer: Annotated[Viewer, require_page(P.TASKS_READ)]):
        return render(request, viewer, "tasks/list.html", {"tasks": ...})

    section = PageSection(
        router,
        templates=Path(__file__).with_name("templates"),
        nav=(NavEntry("/tasks", "Nhiệm vụ", "Tasks", P.TASKS_READ, order=40),),
    )

and the application includes it with ``install_section(app, section)``. A template
extends ``base.html`` and fills the block ``content``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount

from govops.core.errors import GovopsError
from govops.core.settings import Mode
from govops.security.errors import PermissionDenied
from govops.security.permissions import Permission
from govops.security.web import record_refusal
from govops.web import i18n
from govops.web.auth import SignInNeeded, Viewer, language_of, sign_in_address

HERE = Path(__file__).parent
STATIC = HERE / "static"
PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"


@dataclass(frozen=True)
class NavEntry:
    """A link in the header's navigation, shown to people holding ``permission``."""

    path: str
    label_vi: str
    label_en: str
    permission: Permission
    order: int = 50

    def label(self, language: str) -> str:
        return self.label_vi if language == "vi" else self.label_en


@dataclass
class PageSection:
    """One package's pages: their routes, template folder and navigation links."""

    router: APIRouter
    templates: Path | None = None
    nav: tuple[NavEntry, ...] = ()


@dataclass
class _Shell:
    loaders: list[FileSystemLoader] = field(
        default_factory=lambda: [FileSystemLoader(HERE / "templates")]
    )
    nav: list[NavEntry] = field(default_factory=list)


_SHELL = _Shell()
ENVIRONMENT = Environment(
    loader=ChoiceLoader(_SHELL.loaders),  # the list is shared: sections add to it
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class PageRoute(APIRoute):
    """A page: errors are answered as pages, and no session means the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                return RedirectResponse(sign_in_address(request), status_code=303)
            except GovopsError as error:
                if isinstance(error, PermissionDenied):
                    await run_in_threadpool(record_refusal, request, error)
                return error_page(request, error.status, error.detail)
            except RequestValidationError as error:
                first = error.errors()[0] if error.errors() else {"loc": ["?"], "msg": "invalid"}
                field_name = ".".join(str(part) for part in first["loc"][1:])
                return error_page(request, 400, f"{field_name}: {first['msg']}")

        return page_handler


def page_router() -> APIRouter:
    """A router for pages: kept out of the API's OpenAPI document, errors shown as pages."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


def install_section(app: FastAPI, section: PageSection) -> None:
    """Serve a package's pages, find its templates, show its navigation links."""
    app.include_router(section.router)
    if section.templates is not None:
        loader = FileSystemLoader(section.templates)
        if all(existing.searchpath != loader.searchpath for existing in _SHELL.loaders):
            _SHELL.loaders.append(loader)
    for entry in section.nav:
        if entry not in _SHELL.nav:
            _SHELL.nav.append(entry)
    _SHELL.nav.sort(key=lambda entry: (entry.order, entry.path))


def install_static(app: FastAPI) -> None:
    # Plotly.js is served from the installed package, never from a CDN. Static files are
    # sent compressed (plotly.js: 4.7 MB, 1.4 MB compressed, for a phone on a weak line);
    # they hold no secret, so compression reveals nothing, unlike on pages with tokens.
    vendor = GZipMiddleware(StaticFiles(directory=PLOTLY_DIR), minimum_size=1024)
    app.router.routes.append(Mount("/static/vendor", vendor))
    ours = GZipMiddleware(StaticFiles(directory=STATIC), minimum_size=1024)
    app.router.routes.append(Mount("/static", ours))


def navigation(viewer: Viewer | None) -> list[NavEntry]:
    if viewer is None:
        return []
    return [entry for entry in _SHELL.nav if viewer.may(entry.permission)]


@lru_cache(maxsize=64)
def _asset_version(name: str) -> str | None:
    """A digest of one of our files, so a browser caches it until it changes."""
    path = STATIC / name
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


# Elements plotly.js looks for before injecting styles (see scripts/plotly_styles.py).
PLOTLY_STYLE_IDS = json.loads((STATIC / "plotly-style-ids.json").read_text(encoding="utf-8"))


def asset(name: str) -> str:
    version = _asset_version(name)
    return f"/static/{name}" + (f"?v={version}" if version else "")


def render(
    request: Request,
    viewer: Viewer | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A page of ``template`` in the viewer's language."""
    html = fragment(request, viewer, template, {**(context or {}), "nav": navigation(viewer)})
    return HTMLResponse(html, status_code=status_code)


def fragment(
    request: Request, viewer: Viewer | None, template: str, context: dict[str, Any] | None = None
) -> str:
    """The HTML of ``template`` in the viewer's language: a page, or a part a script swaps in."""
    language = viewer.language if viewer else language_of(request)
    return ENVIRONMENT.get_template(template).render(
        {
            **_helpers(language),
            "request": request,
            "viewer": viewer,
            "demo": request.app.state.settings.mode == Mode.DEMO,
            **(context or {}),
        }
    )


def _helpers(language: str) -> dict[str, Any]:
    gettext = i18n.translations(language).gettext
    return {
        "_": gettext,
        "language": language,
        "asset": asset,
        "plotly_style_ids": PLOTLY_STYLE_IDS,
        "number": lambda value, decimals=1: i18n.number(value, decimals, language),
        "signed": lambda value, decimals=1: i18n.signed(value, decimals, language),
        "day": lambda value: i18n.day(value, language),
        "instant": lambda value: i18n.instant(value, language),
        "period_label": lambda period: i18n.period_label(period, language),
        "frequency_label": lambda code: i18n.frequency_label(code, language),
        "name_of": lambda item: item.name_vi if language == "vi" else item.name_en,
        "as_json": lambda value: json.dumps(value, ensure_ascii=False, default=str),
    }


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    return render(
        request,
        None,
        "error.html",
        {"status": status, "detail": detail},
        status_code=status,
    )
