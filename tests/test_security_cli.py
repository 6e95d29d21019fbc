"""`govops users`, `keys` and `audit`, run as an operator would, on both databases."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from conftest import Store
from govops.core.db import transaction
from govops.core.settings import Mode, get_settings
from govops.security import cli
from govops.security.cli import audit_app, keys_app, users_app
from govops.security.errors import DemoAccountRefused, RevokedToken
from govops.security.keys import authenticate_token
from govops.security.signin import Origin, SecondFactorStep, sign_in
from security_helpers import left_clean

app = typer.Typer()
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
runner = CliRunner()


@pytest.fixture
def secure_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("GOVOPS_DATABASE_URL", store.url)
    # Wide enough that no table cell wraps, so its text can be looked for.
    monkeypatch.setattr(cli.console, "width", 240)
    get_settings.cache_clear()
    yield from left_clean(store)
    get_settings.cache_clear()


def invoke(*arguments: str):
    return runner.invoke(app, list(arguments), catch_exceptions=False)


def shown_secret(output: str, pattern: str) -> str:
    found = re.search(pattern, output)
    assert found, output
    return found.group(1)


def test_an_account_is_created_with_a_password_shown_once_that_signs_in(secure_store):
    created = invoke(
        "users",
        "create",
        "minh.tran",
        "--name",
        "Trần Văn Minh",
        "--role",
        "agency_officer",
        "--agency",
        "MOF",
        "--clearance",
        "internal",
    )
    assert created.exit_code == 0, created.output
    password = shown_secret(created.output, r"first sign-in: (\S+)")
    signed = sign_in(
        secure_store.sessions, "minh.tran", password, mode=Mode.PRODUCTION, origin=Origin()
    )
    assert signed.must_change_password
    listed = invoke("users", "list", "--agency", "MOF")
    assert "minh.tran" in listed.output and "must change password" in listed.output
    assert password not in listed.output


def test_a_bad_role_exits_with_an_error_naming_the_field(secure_store):
    result = invoke("users", "create", "minh", "--name", "Minh", "--role", "boss")
    assert result.exit_code == 1
    assert "role 'boss' is not one of administrator" in result.output


def test_disable_enable_and_reset_password_act_on_the_account(secure_store):
    invoke("users", "create", "lan", "--name", "Lan", "--role", "viewer")
    assert "lan disabled" in invoke("users", "disable", "lan").output
    assert "disabled" in invoke("users", "list").output
    assert "lan enabled" in invoke("users", "enable", "lan").output
    reset = invoke("users", "reset-password", "lan")
    password = shown_secret(reset.output, r"shown this once: (\S+)")
    sign_in(secure_store.sessions, "lan", password, mode=Mode.PRODUCTION, origin=Origin())
    missing = invoke("users", "disable", "nobody")
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_a_key_is_created_listed_without_its_secret_and_revoked(secure_store):
    created = invoke(
        "keys",
        "create",
        "NSO feed",
        "--agency",
        "MOF",
        "--scope",
        "data:read",
        "--scope",
        "data:write",
        "--days",
        "30",
    )
    assert created.exit_code == 0, created.output
    secret = shown_secret(created.output, r"(gov_\S+)")
    with transaction(secure_store.sessions) as session:
        assert authenticate_token(session, secret).name.startswith("NSO feed")
    listed = invoke("keys", "list")
    assert "data:read data:write" in listed.output and secret not in listed.output
    key_id = shown_secret(created.output, r"key (\d+) created")
    assert "revoked" in invoke("keys", "revoke", key_id).output
    with transaction(secure_store.sessions) as session, pytest.raises(RevokedToken):
        authenticate_token(session, secret)


def test_a_key_needs_either_an_agency_or_a_user(secure_store):
    result = invoke("keys", "create", "feed", "--scope", "data:read")
    assert result.exit_code == 2 and "give either --agency or --user" in result.output


def test_a_personal_token_is_made_for_a_user(secure_store):
    invoke("users", "create", "lan", "--name", "Lan", "--role", "analyst")
    created = invoke("keys", "create", "notebook", "--user", "lan", "--scope", "data:read")
    secret = shown_secret(created.output, r"(gov_\S+)")
    with transaction(secure_store.sessions) as session:
        assert authenticate_token(session, secret).name == "lan"
    refused = invoke("keys", "create", "x", "--user", "lan", "--scope", "users:manage")
    assert refused.exit_code == 1 and "scopes users:manage exceed" in refused.output


def test_audit_verify_passes_then_names_the_entry_that_was_tampered_with(secure_store):
    invoke("users", "create", "lan", "--name", "Lan", "--role", "viewer")
    invoke("users", "disable", "lan")
    invoke("users", "enable", "lan")
    intact = invoke("audit", "verify")
    assert intact.exit_code == 0, intact.output
    assert "3 entries checked; the chain is intact" in intact.output
    with secure_store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET summary = 'x' WHERE sequence = 2"))
    broken = invoke("audit", "verify")
    assert broken.exit_code == 1
    assert "broken at entry 2 (altered)" in broken.output
    assert "entries 1 to 1 are intact" in broken.output


def test_audit_export_writes_the_filtered_entries(secure_store, tmp_path: Path):
    invoke("users", "create", "lan", "--name", "Lan", "--role", "viewer")
    invoke("users", "disable", "lan")
    output = tmp_path / "audit.csv"
    result = invoke(
        "audit",
        "export",
        "-o",
        str(output),
        "--action",
        "user.disable",
        "--since",
        "2020-01-01",
        "--until",
        "2099-12-31",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(output.read_text(encoding="utf-8").splitlines()))
    assert [row["summary"] for row in rows] == ["lan disabled"]
    bad = invoke("audit", "export", "-o", str(output), "--since", "2025-07-01T08:00")
    assert bad.exit_code == 1 and "since '2025-07-01T08:00' has no time zone" in bad.output


def test_init_makes_the_first_administrator_whose_password_is_shown_once_and_must_change(
    secure_store, tmp_path
):
    from govops.cli import app as govops_app

    first = runner.invoke(govops_app, ["init", "--no-communes"], catch_exceptions=False)
    again = runner.invoke(govops_app, ["init", "--no-communes"], catch_exceptions=False)

    assert first.exit_code == 0, first.output
    password = shown_secret(first.output, r"first administrator: admin, password (\S+) \(shown")
    assert "first administrator" not in again.output and password not in again.output
    with secure_store.session() as session:
        stored = session.execute(text("SELECT password_hash, role FROM app_user")).one()
    assert stored.role == "administrator" and stored.password_hash.startswith("$argon2id$")
    assert password not in stored.password_hash

    signed = sign_in(
        secure_store.sessions, "admin", password, mode=Mode.PRODUCTION, origin=Origin()
    )
    assert signed.must_change_password
    assert signed.second_factor == SecondFactorStep.ENROL


def test_a_demo_account_made_on_the_command_line_is_refused_outside_demo_mode(secure_store):
    created = invoke(
        "users", "create", "demo.viewer", "--name", "Người xem thử", "--role", "viewer", "--demo"
    )
    password = shown_secret(created.output, r"first sign-in: (\S+)")

    listed = invoke("users", "list")
    with pytest.raises(DemoAccountRefused) as refused:
        sign_in(
            secure_store.sessions, "demo.viewer", password, mode=Mode.PRODUCTION, origin=Origin()
        )
    in_demo = sign_in(
        secure_store.sessions, "demo.viewer", password, mode=Mode.DEMO, origin=Origin()
    )

    assert "demo.viewer" in listed.output and "active, demo" in listed.output
    assert (refused.value.status, refused.value.code) == (403, "demo-account-refused")
    assert refused.value.detail == (
        "demo.viewer is a demo account and govops is running in production mode"
    )
    assert in_demo.user_id
