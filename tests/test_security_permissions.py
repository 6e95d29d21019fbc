"""The role table and the checks answered from it: permissions, clearance, agency scope."""

from __future__ import annotations

import pytest

from govops.core.errors import InvalidRequest
from govops.security.errors import PermissionDenied
from govops.security.permissions import (
    EVERY_PERMISSION,
    ROLES,
    Clearance,
    Permission,
    Role,
    can_read_classification,
    can_write_for_agency,
    has_permission,
    parse_permissions,
    principal_for,
    require_permission,
)

MINISTRY, OTHER_MINISTRY = 2, 3


def person(role: Role, *, agency: int | None = MINISTRY, clearance=Clearance.PUBLIC):
    return principal_for(name="someone", role=role, clearance=clearance, agency_id=agency)


def test_every_role_has_a_row_in_the_table_and_only_administrators_hold_every_permission():
    assert set(ROLES) == set(Role)
    holding_all = [role for role, rule in ROLES.items() if rule.permissions == EVERY_PERMISSION]
    assert holding_all == [Role.ADMINISTRATOR]


def test_administrators_and_leaders_need_a_second_factor_by_default():
    assert {role for role, rule in ROLES.items() if rule.second_factor} == {
        Role.ADMINISTRATOR,
        Role.LEADER,
    }


def test_an_auditor_reads_and_exports_the_audit_log_but_no_data():
    auditor = person(Role.AUDITOR)
    assert has_permission(auditor, Permission.AUDIT_READ)
    assert has_permission(auditor, Permission.AUDIT_EXPORT)
    assert not has_permission(auditor, Permission.DATA_READ)


def test_a_viewer_reads_but_neither_writes_nor_exports():
    viewer = person(Role.VIEWER)
    assert has_permission(viewer, Permission.DATA_READ)
    assert not has_permission(viewer, Permission.DATA_WRITE)
    assert not has_permission(viewer, Permission.DATA_EXPORT)


def test_a_refusal_names_the_missing_permission():
    with pytest.raises(PermissionDenied, match="lacks the permission users:manage") as refused:
        require_permission(person(Role.ANALYST), Permission.USERS_MANAGE)
    assert refused.value.status == 403
    assert refused.value.extensions == {"permission": "users:manage"}


@pytest.mark.parametrize(
    ("clearance", "readable"),
    [
        (Clearance.PUBLIC, {"public"}),
        (Clearance.INTERNAL, {"public", "internal"}),
        (Clearance.RESTRICTED, {"public", "internal", "restricted"}),
    ],
)
def test_a_clearance_reads_its_own_level_and_those_below(clearance, readable):
    reader = person(Role.ANALYST, clearance=clearance)
    levels = {"public", "internal", "restricted"}
    assert {level for level in levels if can_read_classification(reader, level)} == readable


def test_an_unknown_classification_is_read_as_restricted():
    internal = person(Role.ANALYST, clearance=Clearance.INTERNAL)
    assert not can_read_classification(internal, "secret-ish")
    assert can_read_classification(person(Role.LEADER, clearance=Clearance.RESTRICTED), "x")


def test_an_agency_reads_its_own_restricted_indicators_but_not_another_agencys():
    officer = person(Role.AGENCY_OFFICER, clearance=Clearance.PUBLIC)
    assert can_read_classification(officer, "restricted", owner_agency_id=MINISTRY)
    assert not can_read_classification(officer, "restricted", owner_agency_id=OTHER_MINISTRY)


def test_an_agency_officer_writes_for_its_own_agency_only():
    officer = person(Role.AGENCY_OFFICER)
    assert can_write_for_agency(officer, MINISTRY)
    assert not can_write_for_agency(officer, OTHER_MINISTRY)
    assert not can_write_for_agency(officer, None)


def test_an_administrator_writes_for_every_agency_and_a_viewer_for_none():
    administrator = person(Role.ADMINISTRATOR, agency=None)
    assert can_write_for_agency(administrator, MINISTRY)
    assert can_write_for_agency(administrator, OTHER_MINISTRY)
    assert not can_write_for_agency(person(Role.VIEWER), MINISTRY)


def test_an_integration_engineer_manages_keys_of_its_own_agency_only():
    engineer = person(Role.INTEGRATION_ENGINEER)
    assert can_write_for_agency(engineer, MINISTRY, Permission.KEYS_MANAGE)
    assert not can_write_for_agency(engineer, OTHER_MINISTRY, Permission.KEYS_MANAGE)


def test_an_unknown_permission_name_is_refused_naming_the_field_and_the_choices():
    assert parse_permissions(["data:read", " catalog:read"]) == {
        Permission.DATA_READ,
        Permission.CATALOG_READ,
    }
    with pytest.raises(InvalidRequest, match="scopes 'data:delete' is not one of catalog:read"):
        parse_permissions(["data:read", "data:delete"])
