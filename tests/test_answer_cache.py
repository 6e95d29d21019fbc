"""Cached data answers: kept while their data stands, read afresh the moment it changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from api_helpers import (
    TestClient,
    observation,
    open_client,
    person_token,
    points,
    read_data,
    receipt_of,
    write_json,
)
from conftest import Store
from govops.catalog.areas import record_area_change
from govops.catalog.service import get_indicator
from govops.core.db import transaction
from govops.datastore.answers import AnswerCache, data_versions
from govops.security.permissions import Clearance, Role


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with open_client(store) as client:
        yield client


def cpi(client: TestClient) -> list[tuple[str, float | None, str]]:
    return points(read_data(client, indicator="CPI", start="2025-M01", end="2025-M02"))


def test_a_new_vintage_is_read_at_once_though_the_same_question_was_answered_before(
    client: TestClient,
) -> None:
    receipt_of(write_json(client, observation("CPI", "VN", "2025-M01", "3.2")))
    assert cpi(client) == [("2025-M01", 3.2, "A")]
    assert cpi(client) == [("2025-M01", 3.2, "A")]

    receipt_of(write_json(client, observation("CPI", "VN", "2025-M01", "3.4")))
    assert cpi(client) == [("2025-M01", 3.4, "A")]
    assert client.app.state.answers.hits >= 1  # type: ignore[attr-defined]


def test_a_change_to_the_indicators_definition_is_read_at_once(
    client: TestClient, store: Store
) -> None:
    receipt_of(write_json(client, observation("CPI", "VN", "2025-M01", "3.25")))
    before = read_data(client, indicator="CPI", start="2025-M01", end="2025-M01")
    with transaction(store.sessions) as session:
        indicator = get_indicator(session, "CPI")
        decimals = indicator.decimals
        indicator.decimals = decimals + 1
    try:
        after = read_data(client, indicator="CPI", start="2025-M01", end="2025-M01")
    finally:
        with transaction(store.sessions) as session:
            get_indicator(session, "CPI").decimals = decimals
    assert (before["decimals"], after["decimals"]) == (decimals, decimals + 1)


def test_an_answer_cached_for_a_cleared_reader_is_not_shown_to_one_without_clearance(
    client: TestClient, store: Store
) -> None:
    with transaction(store.sessions) as session:
        restricted = get_indicator(session, "CPI")
        restricted.classification = Clearance.RESTRICTED.value
    try:
        receipt_of(write_json(client, observation("CPI", "VN", "2025-M01", "3.2")))
        assert cpi(client) == [("2025-M01", 3.2, "A")]
        token = person_token(store, "viewer.public", role=Role.VIEWER)
        refused = client.get(
            "/api/v1/data",
            params={"indicator": "CPI", "start": "2025-M01", "end": "2025-M02"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert refused.status_code == 404
    finally:
        with transaction(store.sessions) as session:
            get_indicator(session, "CPI").classification = Clearance.PUBLIC.value


def test_a_change_of_areas_gives_every_indicator_a_new_data_version(fresh_store: Store) -> None:
    with fresh_store.session() as session:
        before = dict(data_versions(session, "RETAIL_SALES"))
    with transaction(fresh_store.sessions) as session:
        record_area_change(session, code="01", effective=date(2027, 1, 1), name_vi="Hà Nội mới")
    with fresh_store.session() as session:
        after = dict(data_versions(session, "RETAIL_SALES"))
    assert after["RETAIL_SALES"] > before["RETAIL_SALES"]


def test_a_derived_indicator_depends_on_its_inputs_versions(store: Store) -> None:
    with store.session() as session:
        versions = dict(data_versions(session, "TRADE_BALANCE"))
    assert {"TRADE_BALANCE", "EXPORTS", "IMPORTS"} <= set(versions)


def test_the_cache_keeps_no_more_than_its_capacity_dropping_the_least_recently_used() -> None:
    cache = AnswerCache(capacity_bytes=4_000)
    for key in range(5):
        cache.get_or_make(key, lambda: b"x" * 900)
    cache.get_or_make(1, lambda: b"never made")
    cache.get_or_make(5, lambda: b"y" * 900)
    assert cache.size_bytes <= 4_000
    assert cache.get_or_make(1, lambda: b"made again") == b"x" * 900
    assert cache.get_or_make(0, lambda: b"made again") == b"made again"


def test_a_cache_of_no_capacity_answers_afresh_every_time() -> None:
    cache = AnswerCache(capacity_bytes=0)
    made = iter([b"first", b"second"])
    assert cache.get_or_make("same", lambda: next(made)) == b"first"
    assert cache.get_or_make("same", lambda: next(made)) == b"second"
