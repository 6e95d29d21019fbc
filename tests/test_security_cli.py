"""`govops users`, `keys` and `audit`, run as an operator would, on both databases."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from conftest import Store
from govops.core.db import transaction
from govops.core.settings import Mode, get_settings
from govops.security import audit, cli
from govops.security.cli import audit_app, keys_app, users_app
from govops.security.errors import DemoAccountRefused, RevokedToken
from govops.security.keys import authenticate_token
from govops.security.permissions import Role
from govops.security.sessions import look_up, start_session
from govops.security.signin import Origin, SecondFactorStep, sign_in
from govops.security.totp import SecretBox, confirm_enrolment, start_enrolment
from security_helpers import GOOD_PASSWORD, left_clean, new_user

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


def run_govops(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a process of its own, on the store's database."""
    return subprocess.run(
        [sys.executable, "-c", "from govops.cli import app; app()", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def test_init_makes_the_first_administrator_whose_password_is_shown_once_and_must_change(
    secure_store,
):
    first, again = run_govops("init", "--no-communes"), run_govops("init", "--no-communes")

    assert first.returncode == 0, first.stderr
    password = shown_secret(first.stdout, r"first administrator: admin, password (\S+) \(shown")
    assert "first administrator" not in again.stdout and password not in again.stdout
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


def test_a_lost_second_factor_is_removed_and_its_sessions_end(secure_store):
    box = SecretBox.generate()
    with transaction(secure_store.sessions) as session:
        user = new_user(session, "quan.tri", role=Role.ADMINISTRATOR)
        secret = start_enrolment(session, user, box).secret
        confirm_enrolment(session, user, pyotp.TOTP(secret).now(), box, by=audit.COMMAND_LINE)
        token = start_session(session, user, method="password and second factor").token

    removed = invoke("users", "remove-second-factor", "quan.tri")
    unknown = invoke("users", "remove-second-factor", "nobody")

    assert removed.exit_code == 0, removed.output
    assert "1 signed-in sessions ended" in removed.output
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    with transaction(secure_store.sessions) as session:
        assert look_up(session, token) is None
    signed = sign_in(
        secure_store.sessions, "quan.tri", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=Origin()
    )
    assert signed.second_factor == SecondFactorStep.ENROL


def test_an_administrator_makes_the_second_factor_optional_or_required_for_a_role(
    secure_store,
):
    with transaction(secure_store.sessions) as session:
        new_user(session, "lan.nguyen", role=Role.ANALYST)

    required = invoke("users", "second-factor-policy", "analyst", "--required")
    after_required = sign_in(
        secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=Origin()
    )
    optional = invoke("users", "second-factor-policy", "analyst", "--optional")
    after_optional = sign_in(
        secure_store.sessions, "lan.nguyen", GOOD_PASSWORD, mode=Mode.PRODUCTION, origin=Origin()
    )
    bad = invoke("users", "second-factor-policy", "chief", "--required")

    assert required.output.strip() == "second factor required for analyst"
    assert after_required.second_factor == SecondFactorStep.ENROL
    assert optional.exit_code == 0 and after_optional.second_factor == SecondFactorStep.NONE
    assert bad.exit_code == 1 and "role 'chief' is not one of" in bad.output
