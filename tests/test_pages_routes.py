"""The pages' routes through HTTP: sessions, forms, downloads and headers (no browser)."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import select

from conftest import Store
from govops.catalog.areas import areas_on
from govops.catalog.service import find_indicators
from govops.core.db import transaction
from govops.datastore.rows import IncomingRow
from govops.datastore.writes import Payload, store_observations
from govops.security.models import AuditEntry
from govops.security.permissions import Role
from govops.security.sessions import COOKIE_NAME, start_session
from govops.web.app import create_app
from govops.web.room import save_headline_codes
from govops.web.room_pages import CARDS_PER_SCREEN
from security_helpers import GOOD_PASSWORD, new_user

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@contextmanager
def page_client(store: Store, tmp_path, role: Role | None = Role.ANALYST) -> Iterator[TestClient]:
    """A client of the pages, signed in as a person of ``role`` (None: not signed in)."""
    app = create_app(store.settings(data_dir=tmp_path))
    # The address of this machine: cookies are not marked Secure, so plain HTTP keeps them.
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        if role is not None:
            with transaction(store.sessions) as session:
                user = new_user(session, f"{role.value.replace('_', '.')}.one", role=role)
                token = start_session(session, user, method="password").token
            client.cookies.set(COOKIE_NAME, token)
        yield client
    app.state.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def write(store: Store, *rows: tuple[str, str, str, str]) -> None:
    incoming = [IncomingRow(n, *row) for n, row in enumerate(rows, start=1)]
    with transaction(store.sessions) as session:
        store_observations(session, incoming, Payload(b"test", "text/csv", "test"))


MONTHS = [f"2024-M{m:02d}" for m in range(1, 13)] + [f"2025-M{m:02d}" for m in range(1, 10)]


@pytest.fixture
def exports(store: Store) -> Store:
    write(
        store, *[("EXPORTS", "VN", month, str(30000 + 100 * i)) for i, month in enumerate(MONTHS)]
    )
    return store


def test_a_page_without_a_session_sends_the_browser_to_sign_in(store, tmp_path):
    with page_client(store, tmp_path, role=None) as client:
        answer = client.get("/indicators?q=cpi")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Findicators%3Fq%3Dcpi"


def test_signing_in_with_the_form_starts_a_session_and_follows_only_local_addresses(
    store, tmp_path
):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen")
    with page_client(store, tmp_path, role=None) as client:
        token = csrf_of(client.get("/signin").text)
        form = {"username": "lan.nguyen", "password": GOOD_PASSWORD, "form_token": token}
        answer = client.post("/signin", data={**form, "next": "//elsewhere.example/"})
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        assert client.get("/").status_code == 200


def test_the_sign_in_form_is_refused_without_its_own_token(store, tmp_path):
    with transaction(store.sessions) as session:
        new_user(session, "lan.nguyen")
    with page_client(store, tmp_path, role=None) as client:
        form = {"username": "lan.nguyen", "password": GOOD_PASSWORD, "form_token": "forged"}
        answer = client.post("/signin", data=form)
    assert answer.status_code == 400
    assert COOKIE_NAME not in answer.headers.get("set-cookie", "")


def test_the_home_page_shows_the_headline_value_and_its_change_on_last_year(exports, tmp_path):
    with page_client(exports, tmp_path) as client:
        answer = client.get("/")
    assert answer.status_code == 200
    assert "Kim ngạch xuất khẩu hàng hóa" in answer.text
    assert "32.000" in answer.text  # 2025-M09 in Vietnamese notation
    # 32000 against 30800 in September 2024: +3.9 percent
    assert "+3,9" in answer.text and "T9/2025" in answer.text


def test_a_form_without_the_sessions_token_is_refused_and_recorded(store, tmp_path):
    with page_client(store, tmp_path, role=Role.ADMINISTRATOR) as client:
        answer = client.post("/settings/headlines", data={"codes": "CPI", "form_token": "x"})
    assert answer.status_code == 403
    with store.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "access.refused" in actions


def test_an_administrator_edits_the_headline_list_and_a_wrong_code_names_its_line(
    exports, tmp_path
):
    with page_client(exports, tmp_path, role=Role.ADMINISTRATOR) as client:
        token = csrf_of(client.get("/settings/headlines").text)
        wrong = client.post(
            "/settings/headlines", data={"codes": "CPI\nNOT_AN_INDICATOR", "form_token": token}
        )
        assert wrong.status_code == 400 and "line 2" in wrong.text
        saved = client.post("/settings/headlines", data={"codes": "exports", "form_token": token})
        assert saved.status_code == 303
        home = client.get("/").text
    assert home.count('class="card"') == 1 and "/indicators/EXPORTS" in home


def test_a_viewer_may_not_edit_the_headline_list(store, tmp_path):
    with page_client(store, tmp_path, role=Role.VIEWER) as client:
        assert client.get("/settings/headlines").status_code == 403


def test_the_download_holds_exactly_the_rows_of_the_page(exports, tmp_path):
    query = "transform=yoy&start=2025-M01&end=2025-M09"
    with page_client(exports, tmp_path) as client:
        page = client.get(f"/indicators/EXPORTS?{query}")
        download = client.get(f"/indicators/EXPORTS/data.csv?{query}")
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [row["period"] for row in rows] == MONTHS[12:]
    assert rows[0]["value"] == "4.00"  # 31200 against 30000
    assert "+" not in rows[0]["value"] and "4,00" in page.text


def test_a_viewer_may_read_but_not_download(exports, tmp_path):
    with page_client(exports, tmp_path, role=Role.VIEWER) as client:
        assert client.get("/indicators/EXPORTS").status_code == 200
        refused = client.get("/indicators/EXPORTS/data.xlsx")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")


def test_an_unknown_indicator_is_a_page_saying_so(store, tmp_path):
    with page_client(store, tmp_path) as client:
        answer = client.get("/indicators/NO_SUCH_THING")
    assert answer.status_code == 404 and "NO_SUCH_THING" in answer.text


def test_the_wall_sends_each_chosen_panel_again_with_the_figures_as_they_are_now(
    exports, tmp_path
):
    with page_client(exports, tmp_path) as client:
        before = client.get("/wall/data?panel=headlines&panel=scorecard").json()
        write(exports, ("EXPORTS", "VN", "2025-M10", "41234.5"))
        after = client.get("/wall/data?panel=headlines&panel=scorecard").json()
    assert list(after["panels"]) == ["headlines", "scorecard"]
    assert "32.000,0" in before["panels"]["headlines"]
    headlines = after["panels"]["headlines"]
    assert "41.234,5" in headlines and "T10/2025" in headlines
    assert after["updated"].startswith("Cập nhật")


def test_a_long_headline_list_is_shown_on_the_wall_a_screenful_at_a_time(exports, tmp_path):
    with exports.session() as session:
        codes = [
            i.code for i in find_indicators(session, frequency="M", limit=CARDS_PER_SCREEN + 2)
        ]
    save_headline_codes(tmp_path, codes)
    with page_client(exports, tmp_path) as client:
        wall = client.get("/wall?panel=headlines&panel=scorecard").text
        data = client.get("/wall/data?panel=headlines&panel=scorecard").json()
    assert re.findall(r'data-panel="([a-z0-9-]+)"', wall) == [
        "headlines",
        "headlines-2",
        "scorecard",
    ]
    assert list(data["panels"]) == ["headlines", "headlines-2", "scorecard"]
    assert data["panels"]["headlines"].count('class="card"') == CARDS_PER_SCREEN
    assert data["panels"]["headlines-2"].count('class="card"') == 2
    assert 'id="panel-headlines-2"' in data["panels"]["headlines-2"]


def test_the_wall_shows_only_the_chosen_panels_and_names_a_wrong_one(exports, tmp_path):
    with page_client(exports, tmp_path) as client:
        chosen = client.get("/wall?panel=scorecard&panel=headlines")
        wrong = client.get("/wall?panel=weather")
    panels = re.findall(r'data-panel="([a-z]+)"', chosen.text)
    assert panels == ["scorecard", "headlines"]
    assert "/wall/data?panel=scorecard&amp;panel=headlines&amp;indicator=EXPORTS" in chosen.text
    assert wrong.status_code == 400 and "&#39;weather&#39; is not a panel" in wrong.text


def test_the_language_switch_keeps_the_choice_in_a_cookie(exports, tmp_path):
    with page_client(exports, tmp_path) as client:
        switched = client.get("/language?to=en&next=/indicators")
        assert switched.status_code == 303 and switched.headers["location"] == "/indicators"
        english = client.get("/").text
    assert "Situation room" in english and "32,000" in english and "Sep 2025" in english


@pytest.mark.parametrize("path", ["/", "/indicators", "/indicators/EXPORTS", "/coverage", "/wall"])
def test_pages_have_no_inline_script_or_style_and_the_strict_policy(exports, tmp_path, path):
    with page_client(exports, tmp_path) as client:
        answer = client.get(path)
    assert answer.status_code == 200
    assert "script-src" not in answer.headers["content-security-policy"]  # default-src 'self'
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", answer.text)
    assert not re.search(r"\sstyle=|<style|\son[a-z]+=", answer.text)


def test_a_provinces_profile_names_its_predecessors_and_follows_new_figures(store, tmp_path):
    with store.session() as session:
        provinces = [area.code for area in areas_on(session, date(2025, 9, 1), level="province")]
    write(
        store, *[("EXPORTS", code, "2025-M09", str(100 + n)) for n, code in enumerate(provinces)]
    )
    with page_client(store, tmp_path) as client:
        before = client.get("/provinces/24?at=2025-09-30").text
        write(store, ("EXPORTS", "24", "2025-M09", "99999"))
        after = client.get("/provinces/24?at=2025-09-30").text
        old = client.get("/provinces/24?at=2025-06-30").text
    assert "Bắc Giang" in before and "Bắc Ninh" in before
    rank = provinces.index("24")
    assert f">{len(provinces) - rank}/34<" in before and ">1/34<" in after
    assert "99.999,0" in after
    assert "<h1>Tỉnh Bắc Giang</h1>" in old and "Đã hợp nhất vào:" in old


def test_static_files_are_sent_compressed_and_pages_are_not(store, tmp_path):
    gzip = {"Accept-Encoding": "gzip"}
    with page_client(store, tmp_path) as client:
        plotly = client.get("/static/vendor/plotly.min.js", headers=gzip)
        boundaries = client.get("/static/geo/provinces-34.json", headers=gzip)
        home = client.get("/", headers=gzip)
    assert plotly.status_code == 200 and plotly.headers["content-encoding"] == "gzip"
    assert plotly.num_bytes_downloaded < len(plotly.content) / 2
    assert boundaries.json()["type"] == "FeatureCollection"
    assert boundaries.headers["content-encoding"] == "gzip"
    # A page carries the session's form token: compressed, it could be guessed (BREACH).
    assert "content-encoding" not in home.headers
