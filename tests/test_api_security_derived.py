"""Clearance on derived indicators: a formula over a hidden input is itself hidden.

The trade balance is exports less imports: whoever reads it and the exports knows the
imports. So when imports are restricted, the trade balance answers as unknown to a
reader without that clearance, exactly as an indicator that does not exist.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from api_helpers import (
    DATA,
    assert_problem,
    bearer,
    observation,
    open_client,
    person_token,
    read_data,
    write_json,
)
from conftest import Store
from govops.catalog.models import Indicator
from govops.core.db import transaction
from govops.core.errors import NotFound
from govops.datastore.analytics import DataQuery, run_query
from govops.security.permissions import Clearance, Principal, Role, Scope

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DERIVED = "TRADE_BALANCE"  # EXPORTS - IMPORTS


@pytest.fixture
def restricted_imports(store: Store) -> Iterator[Store]:
    """The reference store with IMPORTS restricted for the test, public again after it."""
    _classify(store, "IMPORTS", "restricted")
    try:
        yield store
    finally:
        _classify(store, "IMPORTS", "public")


def _classify(store: Store, code: str, classification: str) -> None:
    with transaction(store.sessions) as session:
        session.execute(
            update(Indicator).where(Indicator.code == code).values(classification=classification)
        )


@pytest.fixture
def client(restricted_imports: Store) -> Iterator[TestClient]:
    with open_client(restricted_imports) as client:
        write_json(
            client,
            observation("EXPORTS", "VN", "2025-M01", 40000),
            observation("IMPORTS", "VN", "2025-M01", 38000),
        )
        yield client


def reader(clearance: Clearance) -> Principal:
    return Principal(
        name="reader",
        permissions=frozenset(),
        clearance=clearance,
        agency_id=None,
        scope=Scope.OWN_AGENCY,
    )


def test_a_derived_indicator_over_a_restricted_input_is_unknown_below_that_clearance(
    restricted_imports: Store,
):
    with restricted_imports.session() as session:
        with pytest.raises(NotFound) as hidden:
            run_query(session, DataQuery(DERIVED), visible_to=reader(Clearance.INTERNAL))
        with pytest.raises(NotFound) as unknown:
            run_query(session, DataQuery("NO_SUCH_CODE"), visible_to=reader(Clearance.INTERNAL))
        answer = run_query(session, DataQuery(DERIVED), visible_to=reader(Clearance.RESTRICTED))

    assert hidden.value.detail == unknown.value.detail.replace("NO_SUCH_CODE", DERIVED)
    assert answer.indicator.code == DERIVED


@pytest.mark.parametrize("format", ["json", "csv", "xlsx"])
def test_the_api_answers_a_derived_indicator_over_a_hidden_input_as_unknown_in_every_format(
    restricted_imports: Store, client: TestClient, format: str
):
    viewer = person_token(restricted_imports, "lan.nguyen", role=Role.AGENCY_OFFICER, agency="MOH")
    params = {"indicator": DERIVED, "area": "VN", "format": format}

    hidden = client.get(DATA, params=params, headers=bearer(viewer))
    unknown = client.get(DATA, params=params | {"indicator": "NO_SUCH"}, headers=bearer(viewer))

    expected = assert_problem(unknown, 404, "not-found")["detail"].replace("NO_SUCH", DERIVED)
    assert assert_problem(hidden, 404, "not-found")["detail"] == expected


def test_a_reader_cleared_for_every_input_reads_the_derived_values(client: TestClient):
    answer = read_data(client, indicator=DERIVED, area="VN", start="2025-M01", end="2025-M01")

    [series] = answer["series"]
    assert [(point["period"], point["value"]) for point in series["points"]] == [
        ("2025-M01", 2000)
    ]
