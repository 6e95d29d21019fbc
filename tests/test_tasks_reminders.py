"""Reminders and notices, sent once each, to a real SMTP server and a real HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller

from govops.tasks.reminders import Delivery, add_contact, notice_kind, send_reminders
from tasks_helpers import agency, specialist, task

TODAY = date(2025, 6, 27)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[object] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd calls it so)
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    # The controller checks its server by connecting to the port, so it needs a real one.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def hook() -> Iterator[tuple[list[dict[str, object]], str]]:
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("due_on", "expected"),
    [
        (date(2025, 7, 4), "before-7"),
        (date(2025, 7, 2), "before-7"),
        (date(2025, 6, 30), "before-3"),
        (date(2025, 6, 28), "before-1"),
        (date(2025, 6, 27), "before-1"),
        (date(2025, 6, 26), "overdue"),
        (date(2025, 7, 5), None),
    ],
)
def test_the_nearest_reminder_day_is_chosen(due_on, expected):
    assert notice_kind(due_on, TODAY, (7, 3, 1)) == expected


def test_agencies_get_reminders_and_overdue_notices_by_mail_and_webhook_once(store, inbox, hook):
    mailbox, port = inbox
    received, url = hook
    with store.session() as session, session.begin():
        by = specialist(session)
        add_contact(
            session,
            agency_id=agency(session, "MOC"),
            channel="e-mail",
            address="vanphong@moc.gov.vn",
            by=by,
        )
        add_contact(
            session, agency_id=agency(session, "MOC"), channel="webhook", address=url, by=by
        )
        task(session, "MOC", due_on=date(2025, 6, 30), title="Trình đề án nhà ở xã hội")
        task(session, "MOC", due_on=date(2025, 6, 20), title="Báo cáo vật liệu xây dựng")
        task(session, "MOC", due_on=date(2025, 9, 30), title="Chưa đến kỳ nhắc")
        task(session, "MOF", due_on=date(2025, 6, 28), title="Việc của bộ khác")

    delivery = Delivery(smtp_port=port)
    with store.session() as session, session.begin():
        report = send_reminders(session, today=TODAY, delivery=delivery)
    assert report.kinds == {"overdue": 2, "before-3": 2}
    subjects = sorted(
        m.content.decode().split("Subject: ")[1].split("\n")[0] for m in mailbox.messages
    )
    assert len(subjects) == 2
    assert any("quá hạn" in s.lower() or "=?utf-8?" in s.lower() for s in subjects)
    assert all(m.rcpt_tos == ["vanphong@moc.gov.vn"] for m in mailbox.messages)
    assert sorted(p["kind"] for p in received) == ["before-3", "overdue"]
    assert {p["agency"] for p in received} == {"MOC"}

    with store.session() as session, session.begin():
        again = send_reminders(session, today=TODAY, delivery=delivery)
    assert again.sent == 0
    assert len(mailbox.messages) == 2 and len(received) == 2


def test_a_failed_delivery_is_tried_again_at_the_next_pass(store, inbox):
    mailbox, port = inbox
    with store.session() as session, session.begin():
        add_contact(
            session,
            agency_id=agency(session, "MOC"),
            channel="e-mail",
            address="a@moc.gov.vn",
            by=specialist(session),
        )
        task(session, "MOC", due_on=date(2025, 6, 20))
    with store.session() as session, session.begin():
        closed = Delivery(smtp_port=1, timeout_seconds=2)
        assert send_reminders(session, today=TODAY, delivery=closed).failed == 1
    with store.session() as session, session.begin():
        assert send_reminders(session, today=TODAY, delivery=Delivery(smtp_port=port)).sent == 1
    assert len(mailbox.messages) == 1


def test_leaders_get_one_digest_a_day(store, inbox):
    mailbox, port = inbox
    with store.session() as session, session.begin():
        add_contact(
            session,
            agency_id=None,
            channel="e-mail",
            address="tro.ly@chinhphu.vn",
            receives_digest=True,
            by=specialist(session),
        )
        task(session, "MOC", due_on=date(2025, 6, 20))
        task(session, "MOF", due_on=date(2025, 7, 1))
    for _ in range(2):
        with store.session() as session, session.begin():
            send_reminders(session, today=TODAY, delivery=Delivery(smtp_port=port))
    [digest] = mailbox.messages
    from email import message_from_bytes

    body = message_from_bytes(digest.content).get_payload(decode=True).decode()
    assert "Nhiệm vụ quá hạn: 1" in body
    assert "đến hạn trong 7 ngày tới: 1" in body


def test_a_contact_with_a_malformed_address_is_refused(store):
    from govops.core.errors import InvalidRequest

    with store.session() as session, session.begin():
        with pytest.raises(InvalidRequest) as refused:
            add_contact(
                session, agency_id=None, channel="e-mail", address="nobody", by=specialist(session)
            )
        assert refused.value.extensions["field"] == "address"


def test_contacts_are_registered_from_the_command_line_once_each(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from govops.cli import app
    from govops.core.settings import get_settings

    monkeypatch.setenv("GOVOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GOVOPS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["init"], catch_exceptions=False).exit_code == 0
        mail = ["tasks", "contact", "vanphong@moc.gov.vn", "--agency", "MOC"]
        assert runner.invoke(app, mail, catch_exceptions=False).exit_code == 0
        hook = ["tasks", "contact", "https://hook.moc.gov.vn/tasks", "--agency", "MOC"]
        assert runner.invoke(app, hook, catch_exceptions=False).exit_code == 0
        again = runner.invoke(app, mail, catch_exceptions=False)
        assert again.exit_code == 1 and "already contact 1" in again.output
        unknown = runner.invoke(app, ["tasks", "contact", "a@b.vn", "--agency", "NOPE"])
        assert unknown.exit_code == 1 and "agency 'NOPE' is not in the catalogue" in unknown.output
        listed = runner.invoke(app, ["tasks", "contacts"], catch_exceptions=False).output
        words = " ".join(listed.split())
        assert "1 MOC e-mail vanphong@moc.gov.vn" in words
        assert "2 MOC webhook https://hook.moc.gov.vn/tasks" in words
    finally:
        get_settings.cache_clear()
