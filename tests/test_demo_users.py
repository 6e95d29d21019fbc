"""The demo's accounts: one per role, marked as demo, and refused outside demo mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api_helpers import assert_problem, bearer, open_client
from conftest import Store
from govops.core.db import transaction
from govops.demo.users import create_demo_users, issue_demo_keys
from govops.security.permissions import Role


@pytest.fixture
def demo_keys(store: Store) -> Iterator[dict[str, str]]:
    with transaction(store.sessions) as session:
        keys = issue_demo_keys(session, create_demo_users(session))
    yield keys


def test_there_is_one_demo_account_per_role_and_building_again_adds_none(store: Store) -> None:
    with transaction(store.sessions) as session:
        first = create_demo_users(session)
    with transaction(store.sessions) as session:
        again = create_demo_users(session)

    assert sorted(Role(user.role) for user in first) == sorted(Role)
    assert all(user.is_demo for user in first)
    assert [user.id for user in again] == [user.id for user in first]


def test_keys_are_issued_for_the_analyst_and_the_administrator(
    demo_keys: dict[str, str],
) -> None:
    assert sorted(demo_keys) == ["demo.admin", "demo.analyst"]
    assert all(secret.startswith("gov_") for secret in demo_keys.values())


def test_a_demo_key_works_in_demo_mode(store: Store, demo_keys: dict[str, str]) -> None:
    with open_client(store, mode="demo") as client:
        response = client.get("/api/v1/groups", headers=bearer(demo_keys["demo.analyst"]))

    assert response.status_code == 200


@pytest.mark.parametrize("mode", ["production", "development"])
def test_a_demo_key_is_refused_outside_demo_mode(
    store: Store, demo_keys: dict[str, str], mode: str
) -> None:
    with open_client(store, mode=mode) as client:
        response = client.get("/api/v1/groups", headers=bearer(demo_keys["demo.admin"]))

    problem = assert_problem(response, 403, "demo-account-refused")
    assert problem["detail"] == (
        f"demo.admin is a demo account and govops is running in {mode} mode"
    )
