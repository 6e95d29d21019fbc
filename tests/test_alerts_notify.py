"""Notices of new warnings, received by a real SMTP server and a real HTTP server on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from govops.alerts.models import EarlyWarning, NotificationAttempt
from govops.alerts.notify import SmtpServer, add_channel, notify
from govops.alerts.service import run_checks
from govops.core.db import transaction
from govops.core.errors import InvalidRequest
from govops.datastore.writes import store_observations
from tests.factories import payload, row

TODAY = date(2025, 9, 10)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default))
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]
    answer = 204

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(self.answer)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def webhook() -> Iterator[tuple[type[Receiver], str]]:
    handler = type("Handler", (Receiver,), {"received": [], "answer": 204})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/hooks/govops"
    server.shutdown()
    server.server_close()


def late_retail_warning(store) -> None:
    rows = [
        row(m, indicator="RETAIL_SALES", area="01", period=f"2025-M{m:02d}", value="100")
        for m in range(1, 7)
    ]
    with transaction(store.sessions) as session:
        store_observations(session, rows, payload())
        run_checks(session, today=TODAY)


def send_new_warnings(store, smtp: SmtpServer | None) -> list[NotificationAttempt]:
    with transaction(store.sessions) as session:
        warnings = list(session.scalars(select(EarlyWarning)))
        return notify(session, warnings, smtp=smtp)


def test_a_new_warning_is_e_mailed_in_vietnamese_and_english(store, mailbox):
    box, port = mailbox
    with transaction(store.sessions) as session:
        add_channel(session, kind="email", address="lan@vpcp.gov.vn", min_severity="minor")
    late_retail_warning(store)

    [attempt] = send_new_warnings(store, SmtpServer("127.0.0.1", port, "canhbao@govops.vn"))

    assert attempt.delivered, attempt.detail
    [(recipients, message)] = box.messages
    assert recipients == ["lan@vpcp.gov.vn"]
    assert "Tổng mức bán lẻ" in message["Subject"]
    text = message.get_content()
    assert "have not arrived" in text
    assert '"periods_behind": 2' in text


def test_a_webhook_receives_the_warning_signed_with_the_channels_secret(store, webhook):
    handler, url = webhook
    with transaction(store.sessions) as session:
        add_channel(session, kind="webhook", address=url, min_severity="minor", secret="s3cret")
    late_retail_warning(store)

    [attempt] = send_new_warnings(store, None)

    assert attempt.delivered, attempt.detail
    [(headers, body)] = handler.received
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(b"s3cret", signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert json.loads(body)["warning"]["evidence"]["due_period"] == "2025-M08"


def test_a_refused_webhook_is_recorded_as_not_delivered_and_mail_still_goes(
    store, webhook, mailbox
):
    handler, url = webhook
    handler.answer = 500
    box, port = mailbox
    with transaction(store.sessions) as session:
        add_channel(session, kind="webhook", address=url, min_severity="minor")
        add_channel(session, kind="email", address="lan@vpcp.gov.vn", min_severity="minor")
    late_retail_warning(store)

    attempts = send_new_warnings(store, SmtpServer("127.0.0.1", port))

    refused, mailed = attempts
    assert (refused.delivered, refused.detail.endswith("answered 500")) == (False, True)
    assert mailed.delivered
    assert len(box.messages) == 1


def test_a_channel_below_the_warnings_severity_is_not_told(store, mailbox):
    box, port = mailbox
    with transaction(store.sessions) as session:
        add_channel(session, kind="email", address="leader@vpcp.gov.vn", min_severity="severe")
    late_retail_warning(store)  # two months late: moderate

    assert send_new_warnings(store, SmtpServer("127.0.0.1", port)) == []
    assert box.messages == []


def test_a_channel_with_an_address_that_is_not_one_is_refused(store):
    with (
        pytest.raises(InvalidRequest, match="not an e-mail address"),
        transaction(store.sessions) as session,
    ):
        add_channel(session, kind="email", address="vpcp.gov.vn")
