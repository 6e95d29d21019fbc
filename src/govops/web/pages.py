"""Every page of govops, installed on the application in one call."""

from __future__ import annotations

from fastapi import FastAPI

from govops.alerts import pages as warning_pages
from govops.exchange import pages as exchange_pages
from govops.forecasting import pages as forecast_pages
from govops.targets import pages as target_pages
from govops.tasks import pages as task_pages
from govops.web import explorer, maps, room_pages, signin_pages
from govops.web.shell import PageSection, install_section, install_static


def install_pages(app: FastAPI) -> None:
    install_static(app)
    install_section(app, PageSection(signin_pages.router))
    install_section(app, room_pages.section)
    install_section(app, explorer.section)
    install_section(app, maps.section)
    install_section(app, target_pages.section)
    install_section(app, warning_pages.section)
    install_section(app, forecast_pages.section)
    install_section(app, exchange_pages.section)
    install_section(app, task_pages.section)
