"""The identity and access API: accounts, keys, and the audit log with its export."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from api_helpers import ADMINISTRATOR, assert_problem, bearer, open_client, person_token
from conftest import Store
from govops.core.db import now_utc
from govops.core.settings import Mode
from govops.security.audit import verify_chain
from govops.security.permissions import Role
from govops.security.signin import Origin, sign_in

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

USERS = "/api/v1/users"
KEYS = "/api/v1/keys"
AUDIT = "/api/v1/audit"
UNITS = "/api/v1/units"


@pytest.fixture(scope="module")
def app_client(reference_store: Store) -> Iterator[TestClient]:
    with open_client(reference_store, api_request_burst=100_000) as client:
        yield client


@pytest.fixture
def client(store: Store, app_client: TestClient) -> TestClient:
    return app_client


def account(**fields: Any) -> dict[str, Any]:
    body = {"username": "lan.nguyen", "display_name": "Nguyễn Thị Lan", "role": "analyst"}
    return {**body, **fields}


def created(client: TestClient, **fields: Any) -> dict[str, Any]:
    response = client.post(USERS, json=account(**fields))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def key_body(**fields: Any) -> dict[str, Any]:
    expires = (now_utc() + timedelta(days=30)).isoformat()
    body = {"name": "MOF reporting", "agency": "MOF", "scopes": ["catalog:read"]}
    return {**body, "expires_at": expires, **fields}


def actions(client: TestClient, **filters: str) -> list[str]:
    response = client.get(AUDIT, params=filters)
    assert response.status_code == 200, response.text
    return [entry["action"] for entry in response.json()["entries"]]


# --- accounts --------------------------------------------------------------------------


def test_an_administrator_creates_an_account_whose_first_password_works_once_shown(client, store):
    answer = created(client, agency="MOF", clearance="internal", email="lan@mof.gov.vn")

    assert answer["user"] | {"created_at": None} == {
        "username": "lan.nguyen",
        "display_name": "Nguyễn Thị Lan",
        "email": "lan@mof.gov.vn",
        "role": "analyst",
        "agency": "MOF",
        "clearance": "internal",
        "disabled": False,
        "is_demo": False,
        "must_change_password": True,
        "has_second_factor": False,
        "last_sign_in_at": None,
        "created_at": None,
    }
    signed = sign_in(
        store.sessions,
        "lan.nguyen",
        answer["password"],
        mode=Mode.PRODUCTION,
        origin=Origin("203.0.113.9"),
    )
    assert signed.must_change_password
    assert "user.create" in actions(client, action="user.create")


def test_an_account_is_refused_for_a_taken_name_an_unknown_agency_or_a_bad_username(client):
    created(client)

    assert_problem(client.post(USERS, json=account()), 409, "conflict")
    unknown = assert_problem(
        client.post(USERS, json=account(username="x.y", agency="ZZZ")), 404, "not-found"
    )
    assert unknown["field"] == "agency"
    bad = assert_problem(
        client.post(USERS, json=account(username="Lan Nguyen")), 400, "invalid-request"
    )
    assert bad["field"] == "username"
    control = client.post(USERS, json=account(username="lan\x00", display_name="a\x00"))
    assert_problem(control, 400, "invalid-request")


def test_accounts_are_listed_by_agency(client):
    created(client, username="officer.mof", role="agency_officer", agency="MOF")
    created(client, username="officer.sbv", role="agency_officer", agency="SBV")

    listed = client.get(USERS, params={"agency": "MOF"}).json()
    assert [user["username"] for user in listed] == ["officer.mof"]
    everyone = [user["username"] for user in client.get(USERS).json()]
    assert everyone == [ADMINISTRATOR, "officer.mof", "officer.sbv"]


def test_an_administrator_changes_role_clearance_and_agency_and_the_log_says_how(client):
    created(client)

    response = client.patch(
        f"{USERS}/lan.nguyen",
        json={"role": "agency_officer", "agency": "MOIT", "clearance": "restricted"},
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert (changed["role"], changed["agency"], changed["clearance"]) == (
        "agency_officer",
        "MOIT",
        "restricted",
    )
    [entry] = client.get(AUDIT, params={"action": "user.access"}).json()["entries"]
    assert entry["summary"] == (
        "lan.nguyen: analyst, no agency, clearance public -> "
        "agency_officer, MOIT, clearance restricted"
    )


def test_an_agency_officer_cannot_be_taken_out_of_every_agency(client):
    created(client, role="agency_officer", agency="MOF")

    refused = client.patch(f"{USERS}/lan.nguyen", json={"agency": None})
    assert assert_problem(refused, 400, "invalid-request")["field"] == "agency"


def test_the_last_administrator_keeps_the_role(client):
    client.get(UNITS)  # the administrator's account is made on first use

    refused = client.patch(f"{USERS}/{ADMINISTRATOR}", json={"role": "viewer"})
    assert assert_problem(refused, 409, "conflict")["field"] == "role"


def test_a_disabled_accounts_token_is_refused_until_it_is_enabled_again(client, store):
    token = person_token(store, "lan.nguyen", role=Role.VIEWER)

    assert client.post(f"{USERS}/lan.nguyen/disable").json()["disabled"] is True
    assert_problem(client.get(UNITS, headers=bearer(token)), 403, "account-disabled")

    assert client.post(f"{USERS}/lan.nguyen/enable").json()["disabled"] is False
    assert client.get(UNITS, headers=bearer(token)).status_code == 200


def test_an_unknown_account_is_answered_404(client):
    assert_problem(client.post(f"{USERS}/nobody/disable"), 404, "not-found")


def test_accounts_need_the_permission_to_manage_them(client, store):
    token = person_token(store, "minh.tran", role=Role.INTEGRATION_ENGINEER, agency="MOF")

    refused = client.get(USERS, headers=bearer(token))
    assert assert_problem(refused, 403, "forbidden")["permission"] == "users:manage"


# --- keys ------------------------------------------------------------------------------


def test_an_issued_key_works_at_once_and_is_refused_once_revoked(client):
    response = client.post(KEYS, json=key_body())
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["key"]["agency"] == "MOF"
    assert issued["key"]["scopes"] == ["catalog:read"]
    assert issued["secret"].startswith(issued["key"]["prefix"])
    assert client.get(UNITS, headers=bearer(issued["secret"])).status_code == 200

    revoked = client.post(f"{KEYS}/{issued['key']['id']}/revoke")
    assert revoked.json()["revoked_at"] is not None
    assert_problem(client.get(UNITS, headers=bearer(issued["secret"])), 401, "revoked-token")
    assert "key.revoke" in actions(client, action="key.revoke")


def test_a_key_is_refused_without_a_time_zone_in_the_past_or_beyond_the_creators_scopes(
    client, store
):
    naive = client.post(KEYS, json=key_body(expires_at="2030-01-01T00:00:00"))
    assert assert_problem(naive, 400, "invalid-request")["errors"][0]["field"] == "body.expires_at"
    past = client.post(KEYS, json=key_body(expires_at="2020-01-01T00:00:00Z"))
    assert assert_problem(past, 400, "invalid-request")["field"] == "expires_at"

    engineer = person_token(store, "minh.tran", role=Role.INTEGRATION_ENGINEER, agency="MOF")
    beyond = client.post(KEYS, json=key_body(scopes=["users:manage"]), headers=bearer(engineer))
    assert assert_problem(beyond, 403, "forbidden")["field"] == "scopes"


def test_an_integration_engineer_manages_the_keys_of_their_own_agency_only(client, store):
    engineer = bearer(
        person_token(store, "minh.tran", role=Role.INTEGRATION_ENGINEER, agency="MOF")
    )
    theirs = client.post(KEYS, json=key_body(agency="SBV")).json()["key"]

    own = client.post(KEYS, json=key_body(), headers=engineer)
    assert own.status_code == 201, own.text
    other = client.post(KEYS, json=key_body(agency="SBV"), headers=engineer)
    assert assert_problem(other, 403, "forbidden")["field"] == "agency"

    listed = client.get(KEYS, headers=engineer).json()
    assert {key["agency"] for key in listed} == {"MOF"}
    assert_problem(client.get(KEYS, params={"agency": "SBV"}, headers=engineer), 403, "forbidden")
    refused = client.post(f"{KEYS}/{theirs['id']}/revoke", headers=engineer)
    assert_problem(refused, 403, "forbidden")


# --- audit log -------------------------------------------------------------------------


def test_the_log_is_read_newest_first_filtered_and_paged(client):
    for number in range(3):
        created(client, username=f"person.{number}")

    first = client.get(AUDIT, params={"action": "user.create", "limit": 2}).json()
    summaries = [entry["object_id"] for entry in first["entries"]]
    assert len(summaries) == 2
    assert first["entries"][0]["sequence"] > first["entries"][1]["sequence"]
    rest = client.get(
        AUDIT, params={"action": "user.create", "limit": 2, "before": first["next_before"]}
    ).json()
    assert len(rest["entries"]) == 2  # the third person, and the test administrator
    assert rest["next_before"] is None
    assert actions(client, user=ADMINISTRATOR, action="user.create") == ["user.create"] * 3


def test_the_log_is_filtered_by_days_in_viet_nam(client):
    created(client)
    today = now_utc().date()

    assert actions(client, action="user.create", since=(today - timedelta(days=1)).isoformat())
    assert actions(client, action="user.create", until=(today + timedelta(days=1)).isoformat())
    assert not actions(client, action="user.create", since=(today + timedelta(days=2)).isoformat())
    bad = client.get(AUDIT, params={"since": "2025-13-01"})
    assert assert_problem(bad, 400, "invalid-request")["field"] == "since"


def test_an_auditor_exports_the_log_as_csv_and_the_export_is_recorded(client, store):
    created(client)
    auditor = bearer(person_token(store, "hoa.le", role=Role.AUDITOR))

    response = client.get(f"{AUDIT}/export", params={"action": "user.create"}, headers=auditor)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["object_type"] for row in rows] == ["user"] * len(rows)
    assert "lan.nguyen: analyst" in rows[-2]["summary"] or any(
        "lan.nguyen: analyst" in row["summary"] for row in rows
    )

    [export] = client.get(AUDIT, params={"action": "audit.export"}).json()["entries"]
    assert export["actor_name"] == "hoa.le"
    assert export["summary"] == f"{len(rows)} entries: action=user.create"
    with store.session() as session:
        assert verify_chain(session).intact


def test_an_agency_auditor_reads_their_agency_only(client, store):
    created(client, username="officer.mof", role="agency_officer", agency="MOF")
    created(client, username="officer.sbv", role="agency_officer", agency="SBV")
    auditor = bearer(person_token(store, "hoa.le", role=Role.AUDITOR, agency="MOF"))

    seen = client.get(AUDIT, params={"action": "user.create"}, headers=auditor).json()
    assert {entry["agency"] for entry in seen["entries"]} == {"MOF"}
    other = client.get(AUDIT, params={"agency": "SBV"}, headers=auditor)
    assert_problem(other, 403, "forbidden")


def test_the_log_needs_the_permission_to_read_it_and_another_to_export_it(client, store):
    viewer = bearer(person_token(store, "lan.nguyen", role=Role.VIEWER))
    leader = bearer(person_token(store, "minh.tran", role=Role.LEADER))

    assert_problem(client.get(AUDIT, headers=viewer), 403, "forbidden")
    assert client.get(AUDIT, headers=leader).status_code == 200
    refused = client.get(f"{AUDIT}/export", headers=leader)
    assert assert_problem(refused, 403, "forbidden")["permission"] == "audit:export"
