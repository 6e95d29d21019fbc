"""Request rate limits per key: a burst passes, then 429 with Retry-After until it refills."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from api_helpers import assert_problem, bearer, open_client, person_token
from conftest import Store
from govops.security.errors import RateLimited
from govops.security.models import AuditEntry
from govops.security.permissions import Clearance, Principal, Role, Scope
from govops.security.ratelimit import RateLimiter
from govops.web.app import create_app
from security_helpers import left_clean

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

UNITS = "/api/v1/units"


@pytest.fixture
def secure_store(store: Store) -> Iterator[Store]:
    yield from left_clean(store)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def key(key_id: int) -> Principal:
    return Principal(
        name=f"system {key_id}",
        permissions=frozenset(),
        clearance=Clearance.PUBLIC,
        agency_id=None,
        scope=Scope.OWN_AGENCY,
        key_id=key_id,
    )


def test_a_burst_passes_then_requests_wait_for_the_steady_rate():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(1.0)

    clock.now += 0.5
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.take("a") == 0
    assert limiter.take("b") == 0


def test_a_bucket_refills_no_higher_than_the_burst():
    clock = Clock()
    limiter = RateLimiter(per_minute=600, burst=2, clock=clock)
    limiter.take("a")
    clock.now += 3600
    assert [limiter.take("a") for _ in range(3)] == [0, 0, pytest.approx(0.1)]


def test_a_refusal_names_the_limit_and_when_to_retry():
    limiter = RateLimiter(per_minute=30, burst=1, clock=Clock())
    limiter.check(key(7))
    with pytest.raises(RateLimited) as refused:
        limiter.check(key(7))
    assert refused.value.retry_after == 2
    assert refused.value.detail == (
        "system 7 is over the limit of 30 requests a minute (bursts of 1); retry in 2 s"
    )
    limiter.check(key(8))


def test_a_key_over_its_rate_is_answered_429_with_retry_after(secure_store):
    with open_client(secure_store, api_requests_per_minute=6, api_request_burst=2) as client:
        token = person_token(secure_store, "lan.nguyen", role=Role.VIEWER)
        assert client.get(UNITS, headers=bearer(token)).status_code == 200
        assert client.get(UNITS, headers=bearer(token)).status_code == 200

        refused = client.get(UNITS, headers=bearer(token))
        problem = assert_problem(refused, 429, "rate-limited")
        assert refused.headers["Retry-After"] == "10"
        assert problem["retry_after"] == 10
        assert "6 requests a minute" in problem["detail"]

        # Other keys have buckets of their own.
        assert client.get(UNITS).status_code == 200


# --- body size ---------------------------------------------------------------------------

LIMIT = 2_000
USERS = "/api/v1/users"


def account_body(padding: int) -> dict[str, str]:
    return {
        "username": "lan.nguyen",
        "display_name": "Nguyễn Thị Lan",
        "role": "viewer",
        "email": "lan@mof.gov.vn",
        "padding": "x" * padding,  # an unknown field, ignored once the body is read
    }


def test_a_json_body_over_the_limit_is_refused_413_before_it_is_read(secure_store):
    with open_client(secure_store, max_body_bytes=LIMIT) as client:
        accepted = client.post(USERS, json=account_body(100))
        refused = client.post(USERS, json=account_body(LIMIT) | {"username": "an.le"})

        assert accepted.status_code == 201, accepted.text
        problem = assert_problem(refused, 413, "payload-too-large")
        size = len(refused.request.content)
        assert problem["detail"] == f"the body is {size} bytes; the limit is {LIMIT}"
        assert problem["limit"] == LIMIT
        assert client.get(f"{USERS}/an.le").status_code == 404


def test_a_body_sent_in_chunks_without_its_length_is_refused_once_it_passes_the_limit(
    secure_store,
):
    chunks = [b'{"username": "an.le", "padding": "', b"x" * LIMIT, b'"}']
    with open_client(secure_store, max_body_bytes=LIMIT) as client:
        refused = client.post(
            USERS, content=iter(chunks), headers={"Content-Type": "application/json"}
        )

    assert "content-length" not in refused.request.headers
    problem = assert_problem(refused, 413, "payload-too-large")
    assert problem["detail"] == f"the body passed the limit of {LIMIT} bytes"


def test_an_oversized_sign_in_form_is_refused_413_without_trying_the_password(
    secure_store, tmp_path
):
    form = {"username": "lan.nguyen", "password": "x" * LIMIT, "form_token": "t"}
    app = create_app(secure_store.settings(data_dir=tmp_path, max_body_bytes=LIMIT))
    with TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False) as client:
        client.cookies.set("govops_form", "t")
        refused = client.post("/signin", data=form)
    app.state.engine.dispose()

    assert refused.status_code == 413
    assert f"the body is {len(refused.request.content)} bytes; the limit is {LIMIT}" in (
        refused.text
    )
    with secure_store.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0
