"""Request rate limits per key: a burst passes, then 429 with Retry-After until it refills."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api_helpers import assert_problem, bearer, open_client, person_token
from conftest import Store
from govops.security.errors import RateLimited
from govops.security.permissions import Clearance, Principal, Role, Scope
from govops.security.ratelimit import RateLimiter
from security_helpers import left_clean

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
