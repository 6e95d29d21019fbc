"""The audit log: a chain that shows every alteration, safe appends, filtered export."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from conftest import Store
from govops.core.db import now_utc, transaction
from govops.security import audit
from govops.security.accounts import principal_of
from govops.security.errors import PermissionDenied
from govops.security.models import AuditEntry
from govops.security.permissions import Role
from security_helpers import agency_id, left_clean, new_user

TIMEZONE = "Asia/Ho_Chi_Minh"


@pytest.fixture
def secure_store(store: Store) -> Iterator[Store]:
    yield from left_clean(store)


def append(store: Store, count: int, *, by: audit.Actor = audit.COMMAND_LINE) -> None:
    for number in range(1, count + 1):
        with transaction(store.sessions) as session:
            audit.record(
                session,
                "indicator.update",
                by=by,
                object_type="indicator",
                object_id="CPI_YOY",
                summary=f"change {number}",
            )


def verify(store: Store, **options) -> audit.ChainReport:
    with store.session() as session:
        return audit.verify_chain(session, **options)


def execute(store: Store, statement: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement))


def test_an_untouched_log_verifies_and_reports_its_head(secure_store):
    append(secure_store, 5)
    report = verify(secure_store)
    assert report.intact and report.checked == 5 and report.last_sequence == 5
    with secure_store.session() as session:
        last = session.get(AuditEntry, 5)
        first = session.get(AuditEntry, 1)
    assert last is not None and first is not None
    assert report.head_hash == last.entry_hash
    assert first.previous_hash == audit.GENESIS_HASH


def test_an_empty_log_is_intact_with_the_genesis_hash_as_its_head(secure_store):
    report = verify(secure_store)
    assert report == audit.ChainReport(0, 0, audit.GENESIS_HASH, None)


def test_an_entry_whose_summary_was_edited_in_the_database_is_named(secure_store):
    append(secure_store, 5)
    execute(secure_store, "UPDATE audit_entry SET summary = 'nothing happened' WHERE sequence = 3")
    broken = verify(secure_store).first_break
    assert broken is not None
    assert (broken.sequence, broken.problem) == (3, "altered")
    assert broken.detail == "entry 3 was altered: its content does not match its hash"


def test_a_deleted_entry_in_the_middle_is_named(secure_store):
    append(secure_store, 5)
    execute(secure_store, "DELETE FROM audit_entry WHERE sequence = 3")
    report = verify(secure_store)
    assert report.first_break == audit.ChainBreak(
        3, "missing", "entry 3 is missing: after entry 2 comes entry 4"
    )
    assert report.checked == 2


def test_a_deleted_first_entry_is_named(secure_store):
    append(secure_store, 3)
    execute(secure_store, "DELETE FROM audit_entry WHERE sequence = 1")
    broken = verify(secure_store).first_break
    assert broken is not None and (broken.sequence, broken.problem) == (1, "missing")
    assert broken.detail == "entry 1 is missing: at the start comes entry 2"


def test_two_entries_whose_sequences_were_swapped_are_named_at_the_first(secure_store):
    append(secure_store, 5)
    execute(secure_store, "UPDATE audit_entry SET sequence = -2 WHERE sequence = 2")
    execute(secure_store, "UPDATE audit_entry SET sequence = 2 WHERE sequence = 4")
    execute(secure_store, "UPDATE audit_entry SET sequence = 4 WHERE sequence = -2")
    broken = verify(secure_store).first_break
    assert broken is not None
    assert (broken.sequence, broken.problem) == (2, "out of order")
    assert "entry 2 was not chained after entry 1" in broken.detail


def test_an_entry_altered_with_its_hash_recomputed_breaks_the_link_to_the_next(secure_store):
    append(secure_store, 5)
    with transaction(secure_store.sessions) as session:
        entry = session.get(AuditEntry, 3)
        assert entry is not None
        entry.summary = "nothing happened"
        entry.entry_hash = audit.chain_hash(audit.entry_content(entry), entry.previous_hash)
    broken = verify(secure_store).first_break
    assert broken is not None and (broken.sequence, broken.problem) == (4, "out of order")
    assert "or entry 3 was altered and its hash recomputed" in broken.detail


def test_a_changed_time_of_an_entry_is_an_alteration(secure_store):
    append(secure_store, 2)
    with transaction(secure_store.sessions) as session:
        entry = session.get(AuditEntry, 1)
        assert entry is not None
        entry.recorded_at = entry.recorded_at - timedelta(hours=1)
    broken = verify(secure_store).first_break
    assert broken is not None and (broken.sequence, broken.problem) == (1, "altered")


def test_verification_streams_in_batches_and_reports_progress(secure_store):
    append(secure_store, 7)
    heard: list[int] = []
    report = verify(secure_store, progress=heard.append, batch_size=3)
    assert report.intact and heard == [3, 3, 1]


def test_an_entry_of_a_rolled_back_transaction_leaves_no_trace(secure_store):
    append(secure_store, 1)
    with pytest.raises(RuntimeError), transaction(secure_store.sessions) as session:
        audit.record(session, "user.create", by=audit.COMMAND_LINE)
        raise RuntimeError("the change failed")
    append(secure_store, 1)
    report = verify(secure_store)
    assert report.intact and report.last_sequence == 2


def test_concurrent_writers_never_fork_the_chain(secure_store):
    failures: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for number in range(15):
                with transaction(secure_store.sessions) as session:
                    session.execute(text("SELECT 1"))
                    audit.record(
                        session, "data.write", by=audit.COMMAND_LINE, summary=f"{name} {number}"
                    )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(f"writer {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    report = verify(secure_store)
    assert report.intact and report.checked == 60


def test_the_vietnamese_text_of_an_entry_is_kept_in_nfc(secure_store):
    with transaction(secure_store.sessions) as session:
        entry = audit.record(
            session,
            "indicator.update",
            by=audit.COMMAND_LINE,
            summary="Chi\u0309 sô\u0301 gia\u0301",
        )
    assert entry.summary == "Chỉ số giá"
    assert verify(secure_store).intact


# --- export -----------------------------------------------------------------------------


def exported(store: Store, wanted: audit.AuditFilter, by: audit.Actor = audit.COMMAND_LINE):
    out = io.StringIO()
    with transaction(store.sessions) as session:
        count = audit.export_csv(session, out, wanted, by=by, timezone=TIMEZONE)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == count
    return rows


def test_an_export_is_filtered_by_user_agency_action_and_time(secure_store):
    with transaction(secure_store.sessions) as session:
        officer = new_user(session, "officer", role=Role.AGENCY_OFFICER, agency="SBV")
        sbv = agency_id(session, "SBV")
    as_officer = audit.Actor(principal_of(officer), "192.0.2.10", "req-7")
    append(secure_store, 2, by=as_officer)
    middle = now_utc()
    append(secure_store, 1, by=as_officer)

    by_user = exported(secure_store, audit.AuditFilter(user_id=officer.id))
    by_agency = exported(secure_store, audit.AuditFilter(agency_id=sbv))
    by_action = exported(secure_store, audit.AuditFilter(action="user.create"))
    before = exported(secure_store, audit.AuditFilter(user_id=officer.id, until=middle))
    after = exported(secure_store, audit.AuditFilter(action="indicator.update", since=middle))

    assert [row["summary"] for row in by_user] == ["change 1", "change 2", "change 1"]
    # The officer's own actions, and the creation of the officer's account for SBV.
    assert [row["action"] for row in by_agency] == ["user.create", *["indicator.update"] * 3]
    assert [row["summary"] for row in by_action] == [
        "officer: agency_officer, SBV, clearance public"
    ]
    assert len(before) == 2 and len(after) == 1
    first = by_user[0]
    assert (first["actor_name"], first["client_address"], first["request_id"]) == (
        "officer",
        "192.0.2.10",
        "req-7",
    )
    assert first["recorded_at"].endswith("+00:00")
    assert first["recorded_at_local"].endswith("+07:00")


def test_each_export_is_itself_recorded(secure_store):
    append(secure_store, 2)
    exported(secure_store, audit.AuditFilter(action="indicator.update"))
    with secure_store.session() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.sequence.desc())).first()
    assert last is not None and last.action == "audit.export"
    assert last.summary == "2 entries: action=indicator.update"


def test_a_summary_that_a_spreadsheet_would_run_as_a_formula_is_exported_inert(secure_store):
    with transaction(secure_store.sessions) as session:
        audit.record(session, "note", by=audit.COMMAND_LINE, summary='=HYPERLINK("x")')
    [row] = exported(secure_store, audit.AuditFilter(action="note"))
    assert row["summary"] == '\'=HYPERLINK("x")'


def test_an_export_needs_the_audit_export_permission(secure_store):
    with transaction(secure_store.sessions) as session:
        leader = audit.Actor(principal_of(new_user(session, role=Role.LEADER)))
    with pytest.raises(PermissionDenied, match="audit:export"):
        exported(secure_store, audit.AuditFilter(), by=leader)


def test_the_newest_entries_are_listed_first_and_page_backwards(secure_store):
    append(secure_store, 5)
    with secure_store.session() as session:
        first_page = audit.list_entries(session, audit.AuditFilter(), limit=2)
        next_page = audit.list_entries(
            session, audit.AuditFilter(), limit=2, before=first_page[-1].sequence
        )
    assert [entry.sequence for entry in first_page + next_page] == [5, 4, 3, 2]


def test_an_overlong_request_id_from_a_client_is_cut_rather_than_failing_the_write(
    secure_store,
):
    sender = audit.Actor(audit.COMMAND_LINE.principal, "192.0.2.1", "r" * 5000)
    with transaction(secure_store.sessions) as session:
        entry = audit.record(session, "data.write", by=sender, object_id="x" * 500)
    assert len(entry.request_id or "") == 100 and len(entry.object_id or "") == 200
    assert verify(secure_store).intact


# --- the verifier's fast canonical form ---------------------------------------------------

optional_text = st.none() | st.text(max_size=40)
optional_number = st.none() | st.integers(min_value=0, max_value=2**62)
ENTRY_VALUES = st.tuples(
    st.integers(min_value=1, max_value=2**62),
    st.datetimes(datetime(2000, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
    optional_number,
    optional_number,
    st.text(max_size=40),
    optional_number,
    st.text(min_size=1, max_size=20),
    optional_text,
    optional_text,
    st.text(max_size=200),
    optional_text,
    optional_text,
)


@given(ENTRY_VALUES)
def test_the_verifiers_canonical_json_is_the_recorders_byte_for_byte(values):
    content = audit.content_from_values(values)
    stored_on_sqlite = values[1].strftime("%Y-%m-%d %H:%M:%S.%f")

    recorded = audit.chain_hash(content, audit.GENESIS_HASH)
    verified = audit._hash_of_row((*values, "", ""), audit.GENESIS_HASH)
    verified_from_sqlite_text = audit._hash_of_row(
        (values[0], stored_on_sqlite, *values[2:], "", ""), audit.GENESIS_HASH
    )

    assert verified == recorded == verified_from_sqlite_text
    assert audit.canonical_json(values, content["recorded_at"]) == audit._CANONICAL.encode(content)
