"""Talking to the HTTP API in tests: a client on a store, writes, reads and problem checks."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from conftest import Store
from govops.catalog.models import Agency
from govops.core.db import now_utc, transaction
from govops.security import audit
from govops.security.accounts import NewUser, create_user, principal_of
from govops.security.keys import KeyRequest, create_personal_token, token_hash
from govops.security.models import ApiKey, User
from govops.security.permissions import EVERY_PERMISSION, Clearance, Permission, Role
from govops.web.app import create_app

with warnings.catch_warnings():
    # Starlette's test client asks for the httpx2 package and warns when it finds httpx;
    # the warning says nothing about govops, and warnings are errors in this suite.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

OBSERVATIONS = "/api/v1/observations"
DATA = "/api/v1/data"
CSV_HEADER = "indicator,area,period,value"

Point = tuple[str, float | None, str]


ADMINISTRATOR = "api.administrator"
ADMINISTRATOR_PASSWORD = "harbour-lotus-kettle-58"


@contextmanager
def open_client(store: Store, **settings: object) -> Iterator[TestClient]:
    """A client of an app on ``store``, calling as an administrator with a personal token;
    keyword arguments override the app's settings."""
    app = create_app(store.settings(**settings))
    with TestClient(app) as client:
        client.auth = AdministratorToken(store)
        yield client
    app.state.engine.dispose()


class AdministratorToken(httpx.Auth):
    """Sends an administrator's token, making the account and token again whenever the
    store was emptied of them (the ``store`` fixture does that after every test)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.token = ""

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        # A request that brings its own credentials is sent as it is.
        if "Authorization" not in request.headers:
            if not self.token or not self._token_stored():
                self.token = administrator_token(self.store)
            request.headers["Authorization"] = f"Bearer {self.token}"
        yield request

    def _token_stored(self) -> bool:
        with self.store.session() as session:
            found = session.scalar(
                select(ApiKey.id).where(ApiKey.secret_hash == token_hash(self.token))
            )
        return found is not None


def administrator_token(store: Store, username: str = ADMINISTRATOR) -> str:
    """A new personal token of an administrator cleared for restricted data."""
    with transaction(store.sessions) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            new = NewUser(
                username, "Quản trị API", Role.ADMINISTRATOR, clearance=Clearance.RESTRICTED
            )
            user = create_user(
                session,
                new,
                ADMINISTRATOR_PASSWORD,
                by=audit.COMMAND_LINE,
                must_change_password=False,
            )
        request = KeyRequest("API tests", EVERY_PERMISSION, now_utc() + timedelta(days=1))
        return create_personal_token(session, user, request, by=audit.COMMAND_LINE).secret


def observation(
    indicator: str, area: str, period: str, value: Any, **fields: Any
) -> dict[str, Any]:
    return {"indicator": indicator, "area": area, "period": period, "value": value, **fields}


def write_json(client: TestClient, *observations: dict[str, Any]) -> httpx.Response:
    return client.post(OBSERVATIONS, json={"observations": list(observations)})


def write_csv(client: TestClient, *lines: str, header: str = CSV_HEADER) -> httpx.Response:
    body = "\n".join((header, *lines)) + "\n"
    return client.post(OBSERVATIONS, content=body.encode(), headers={"Content-Type": "text/csv"})


def receipt_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    receipt: dict[str, Any] = response.json()
    return receipt


def read_data(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get(DATA, params=params)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def points(answer: dict[str, Any], area: str | None = None) -> list[Point]:
    """(period, value, status) of the answer's one series, or of the series of ``area``."""
    series = [s for s in answer["series"] if area is None or s["area"]["code"] == area]
    assert len(series) == 1, [s["area"]["code"] for s in answer["series"]]
    return series_points(series[0])


def series_points(series: dict[str, Any]) -> list[Point]:
    return [(p["period"], p["value"], p["status"]) for p in series["points"]]


def stored_points(
    client: TestClient, indicator: str, area: str, start: str, end: str
) -> list[Point]:
    answer = read_data(client, indicator=indicator, area=area, start=start, end=end)
    return points(answer)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The problem detail of a refusal, checked for its status, type, title and detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"/problems/{code}"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    return problem


def row_errors(response: httpx.Response) -> list[dict[str, Any]]:
    """The errors of a refused batch, after checking it was refused as a whole."""
    problem = assert_problem(response, 422, "rejected-batch")
    assert problem["title"] == "Batch rejected; nothing of it was stored"
    errors: list[dict[str, Any]] = problem["errors"]
    assert problem["error_count"] == len(errors)
    return errors


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def person_token(
    store: Store,
    username: str,
    *,
    role: Role,
    agency: str | None = None,
    clearance: Clearance = Clearance.PUBLIC,
    scopes: frozenset[Permission] | None = None,
    days: int = 1,
) -> str:
    """A personal token for a new account; by default it holds everything the role may."""
    with transaction(store.sessions) as session:
        owner_agency = None
        if agency is not None:
            owner_agency = session.scalars(select(Agency.id).where(Agency.code == agency)).one()
        new = NewUser(username, "Trần Văn Minh", role, agency_id=owner_agency, clearance=clearance)
        user = create_user(
            session, new, ADMINISTRATOR_PASSWORD, by=audit.COMMAND_LINE, must_change_password=False
        )
        wanted = scopes if scopes is not None else principal_of(user).permissions
        request = KeyRequest("API access", wanted, now_utc() + timedelta(days=days))
        return create_personal_token(session, user, request, by=audit.COMMAND_LINE).secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
