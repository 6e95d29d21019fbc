"""The exchange registry: members, flows and consumers, by API and by declarative file."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api_helpers import assert_problem, bearer, open_client, person_token
from conftest import Store
from govops.cli import app as cli_app
from govops.core.db import transaction
from govops.core.settings import get_settings
from govops.exchange.registry import get_flow, load_registry_file
from govops.security.permissions import Role
from test_exchange_support import BUDGET_FLOW

FLOWS_FILE = """
members:
  - agency: MOF
    systems:
      - {code: TABMIS, name: Hệ thống thông tin quản lý ngân sách và kho bạc}
  - agency: SBV
flows:
  - code: MOF-BUDGET
    name_vi: Thu, chi ngân sách nhà nước hằng tháng
    name_en: Monthly state budget revenue and expenditure
    provider: MOF
    provider_system: TABMIS
    indicators: [BUDGET_REVENUE, BUDGET_SPENDING]
    schedule: M
    freshness_minutes: 64800
    consumers:
      - {agency: NA_OFFICE}
      - {agency: PCC_OFFICE, max_classification: internal}
  - code: SBV-CREDIT
    name_vi: Dư nợ tín dụng
    name_en: Outstanding credit
    provider: SBV
    indicators: [CREDIT_OUTSTANDING]
    schedule: M
    freshness_minutes: 64800
    validation_mode: lenient
  - code: BAD-PROVIDER
    name_vi: Luồng sai
    name_en: A wrong flow
    provider: NOBODY
    indicators: [CPI]
    schedule: M
    freshness_minutes: 100
  - code: BAD-SCHEDULE
    name_vi: Luồng sai lịch
    name_en: A flow with a wrong schedule
    provider: NSO
    indicators: [CPI]
    schedule: fortnightly
    freshness_minutes: 100
"""


def write_file(tmp_path: Path) -> Path:
    path = tmp_path / "flows.yaml"
    path.write_text(FLOWS_FILE, encoding="utf-8")
    return path


def test_loading_a_flows_file_saves_good_entries_and_names_each_bad_one(
    store: Store, tmp_path: Path
) -> None:
    with transaction(store.sessions) as session:
        report = load_registry_file(session, write_file(tmp_path))

    assert report.created_or_changed == [
        "members[1] (MOF)",
        "members[2] (SBV)",
        "flows[1] (MOF-BUDGET)",
        "flows[2] (SBV-CREDIT)",
    ]
    assert [(e["entry"], e["field"]) for e in report.errors] == [
        ("flows[3] (BAD-PROVIDER)", "provider"),
        ("flows[4] (BAD-SCHEDULE)", "schedule"),
    ]
    assert "NOBODY" in report.errors[0]["reason"]
    with store.session() as session:
        assert get_flow(session, "SBV-CREDIT").validation_mode == "lenient"


def test_loading_the_same_file_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_file(tmp_path)
    with transaction(store.sessions) as session:
        load_registry_file(session, path)
    with transaction(store.sessions) as session:
        again = load_registry_file(session, path)

    assert again.created_or_changed == []
    assert len(again.unchanged) == 4


def test_the_load_command_reports_each_entry_and_fails_when_some_are_wrong(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVOPS_DATABASE_URL", store.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["exchange", "load", str(write_file(tmp_path))])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1, result.output
    assert "4 saved" in result.output
    assert "flows[3] (BAD-PROVIDER)" in result.output
    assert "provider" in result.output


def test_an_integration_engineer_registers_a_flow_and_a_reader_sees_it(store: Store) -> None:
    engineer = person_token(store, "ky.su", role=Role.INTEGRATION_ENGINEER, agency="VPCP")
    leader = person_token(store, "lanh.dao", role=Role.LEADER, agency="VPCP")
    with open_client(store) as client:
        saved = client.put(
            "/api/v1/exchange/flows/MOF-BUDGET", json=BUDGET_FLOW, headers=bearer(engineer)
        )
        again = client.put(
            "/api/v1/exchange/flows/MOF-BUDGET", json=BUDGET_FLOW, headers=bearer(engineer)
        )
        listed = client.get("/api/v1/exchange/flows", headers=bearer(leader))
        refused = client.put(
            "/api/v1/exchange/flows/MOF-BUDGET", json=BUDGET_FLOW, headers=bearer(leader)
        )

    assert saved.status_code == 200, saved.text
    assert saved.json()["changed"] is True
    assert again.json()["changed"] is False
    flow = listed.json()["flows"][0]
    assert flow["provider"] == "MOF"
    assert flow["consumers"] == [{"agency": "NA_OFFICE", "max_classification": "public"}]
    assert_problem(refused, 403, "forbidden")


def test_a_flow_with_an_unknown_indicator_is_refused_naming_the_field(store: Store) -> None:
    with open_client(store) as client:
        response = client.put(
            "/api/v1/exchange/flows/MOF-BUDGET",
            json={**BUDGET_FLOW, "indicators": ["BUDGET_REVENUE", "NO_SUCH"]},
        )

    problem = assert_problem(response, 400, "invalid-request")
    assert problem["field"] == "indicators"
    assert "NO_SUCH" in problem["detail"]


def test_pull_credentials_are_never_shown(store: Store) -> None:
    spec = {
        **BUDGET_FLOW,
        "transport": "pull",
        "pull_url": "https://tabmis.example.gov.vn/budget.csv",
        "pull_secret_header": "Authorization: Bearer very-secret",
    }
    with open_client(store) as client:
        client.put("/api/v1/exchange/flows/MOF-BUDGET", json=spec)
        shown = client.get("/api/v1/exchange/flows/MOF-BUDGET")

    assert shown.json()["pull_has_credentials"] is True
    assert "very-secret" not in shown.text


def test_members_are_registered_with_their_systems(store: Store) -> None:
    member = {"agency": "EVN", "systems": [{"code": "SCADA", "name": "Hệ thống SCADA/EMS"}]}
    with open_client(store) as client:
        client.put("/api/v1/exchange/members/EVN", json=member)
        listed = client.get("/api/v1/exchange/members")

    assert listed.json()["members"] == [{**member, "contact": None}]
