"""Telling people of new warnings: e-mail over SMTP and webhooks over HTTP.

Every try is recorded with the channel, whether it was delivered and why not, so a
notice that did not go out is visible rather than silently lost. A failure on one
channel does not stop the others.

Webhook bodies are JSON. When the channel has a secret, the request carries the headers
``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``: ``v1,`` followed by the
base64 HMAC-SHA256, keyed with the secret's UTF-8 bytes, of ``id.timestamp.body`` (the
layout of the Standard Webhooks specification, so its libraries verify it when given
the secret in base64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.alerts.checks import Severity
from govops.alerts.models import EarlyWarning, NotificationAttempt, NotificationChannel
from govops.alerts.service import evidence_of
from govops.core.db import now_utc
from govops.core.errors import InvalidRequest

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 10.0
SMTP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int = 25
    sender: str = "govops@localhost"


def add_channel(
    session: Session,
    *,
    kind: str,
    address: str,
    min_severity: str = Severity.MODERATE.value,
    secret: str | None = None,
) -> NotificationChannel:
    if kind not in ("email", "webhook"):
        raise InvalidRequest(f"channel kind '{kind}' is not email or webhook", field="kind")
    if kind == "email" and "@" not in address:
        raise InvalidRequest(f"'{address}' is not an e-mail address", field="address")
    if kind == "webhook" and not address.startswith(("http://", "https://")):
        raise InvalidRequest(f"'{address}' is not an http(s) URL", field="address")
    Severity(min_severity)
    channel = NotificationChannel(
        kind=kind, address=address, min_severity=min_severity, secret=secret, enabled=True
    )
    session.add(channel)
    session.flush()
    return channel


def notify(
    session: Session,
    warnings: Sequence[EarlyWarning],
    *,
    smtp: SmtpServer | None,
    http: httpx.Client | None = None,
) -> list[NotificationAttempt]:
    """Send each warning to every enabled channel whose minimum severity it reaches."""
    channels = list(
        session.scalars(select(NotificationChannel).where(NotificationChannel.enabled.is_(True)))
    )
    client = http or httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS)
    attempts = []
    try:
        for warning in warnings:
            for channel in channels:
                if Severity(warning.severity).rank >= Severity(channel.min_severity).rank:
                    attempts.append(_deliver(session, warning, channel, smtp, client))
    finally:
        if http is None:
            client.close()
    session.flush()
    return attempts


def _deliver(
    session: Session,
    warning: EarlyWarning,
    channel: NotificationChannel,
    smtp: SmtpServer | None,
    client: httpx.Client,
) -> NotificationAttempt:
    try:
        if channel.kind == "email":
            detail = _send_email(warning, channel, smtp)
        else:
            detail = _post_webhook(warning, channel, client)
        delivered = True
    except (OSError, smtplib.SMTPException, httpx.HTTPError, DeliveryRefused) as error:
        delivered, detail = False, f"{type(error).__name__}: {error}"
        log.warning(
            "notice of warning %s to channel %s failed: %s",
            warning.id,
            channel.id,
            detail,
            extra={"warning": warning.id, "channel": channel.id},
        )
    attempt = NotificationAttempt(
        warning_id=warning.id,
        channel_id=channel.id,
        attempted_at=now_utc(),
        delivered=delivered,
        detail=detail[:2000],
    )
    session.add(attempt)
    return attempt


class DeliveryRefused(Exception):
    """The receiving end answered, but not with success."""


def _send_email(
    warning: EarlyWarning, channel: NotificationChannel, smtp: SmtpServer | None
) -> str:
    if smtp is None:
        raise DeliveryRefused("no SMTP server is configured")
    message = EmailMessage()
    message["Subject"] = f"[govops] {warning.title_vi}"
    message["From"] = smtp.sender
    message["To"] = channel.address
    message.set_content(_email_text(warning))
    with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS) as server:
        server.send_message(message)
    return f"sent to {channel.address} through {smtp.host}:{smtp.port}"


def _email_text(warning: EarlyWarning) -> str:
    evidence = {k: v for k, v in evidence_of(warning).items() if k != "chart"}
    return "\n".join(
        [
            warning.title_vi,
            warning.title_en,
            "",
            f"Mức độ / severity: {warning.severity}",
            f"Cảnh báo số / warning: {warning.id}",
            "",
            json.dumps(evidence, ensure_ascii=False, indent=2, default=str),
        ]
    )


def _post_webhook(
    warning: EarlyWarning, channel: NotificationChannel, client: httpx.Client
) -> str:
    body = json.dumps(webhook_body(warning), ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if channel.secret:
        headers |= signature_headers(channel.secret, f"warning-{warning.id}", body)
    response = client.post(channel.address, content=body, headers=headers)
    if not response.is_success:
        raise DeliveryRefused(f"{channel.address} answered {response.status_code}")
    return f"{channel.address} answered {response.status_code}"


def webhook_body(warning: EarlyWarning) -> dict[str, Any]:
    return {
        "type": "warning.raised",
        "warning": {
            "id": warning.id,
            "kind": warning.kind,
            "severity": warning.severity,
            "status": warning.status,
            "title_vi": warning.title_vi,
            "title_en": warning.title_en,
            "period": warning.period_code,
            "raised_at": warning.raised_at.isoformat(),
            "evidence": evidence_of(warning),
        },
    }


def signature_headers(secret: str, message_id: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(now_utc().timestamp()))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }
