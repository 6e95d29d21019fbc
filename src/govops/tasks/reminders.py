"""Reminders before deadlines, notices at overdue, and a daily digest for leaders.

One pass (:func:`send_reminders`) looks at every open deliverable with a deadline. Each
notice is sent once per deliverable, kind and contact, whatever the number of passes: a
pass that was missed still sends the nearest reminder, and a failed delivery is logged
and tried again at the next pass (it is only recorded once it went out).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.core.db import now_utc
from govops.core.errors import Conflict, InvalidRequest
from govops.security import audit
from govops.tasks.access import check_assigner
from govops.tasks.models import Contact, DigestSent, Occurrence, Reminder, Task
from govops.tasks.status import TaskStatus, status_expression

log = logging.getLogger(__name__)

DEFAULT_DAYS = (7, 3, 1)
CHANNELS = ("e-mail", "webhook")


@dataclass(frozen=True)
class Delivery:
    """Where notices go out: an SMTP server and a sender, and a timeout for webhooks."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    sender: str = "govops@localhost"
    timeout_seconds: float = 10.0


@dataclass
class PassReport:
    sent: int = 0
    failed: int = 0
    digests: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def add_contact(
    session: Session,
    *,
    agency_id: int | None,
    channel: str,
    address: str,
    receives_digest: bool = False,
    by: audit.Actor,
) -> Contact:
    """Where an agency's reminders go; a contact without agency receives only the digest."""
    check_assigner(by.principal)
    if channel not in CHANNELS:
        raise InvalidRequest(
            f"channel '{channel}' is not one of {', '.join(CHANNELS)}", field="channel"
        )
    if channel == "e-mail" and "@" not in address:
        raise InvalidRequest(f"'{address}' is not an e-mail address", field="address")
    if channel == "webhook" and not address.startswith(("https://", "http://")):
        raise InvalidRequest(f"'{address}' is not an http(s) address", field="address")
    same = session.scalar(
        select(Contact.id).where(
            (Contact.agency_id.is_(None) if agency_id is None else Contact.agency_id == agency_id)
            & (Contact.channel == channel)
            & (Contact.address == address)
        )
    )
    if same is not None:
        raise Conflict(f"{channel} {address} is already contact {same}", field="address")
    contact = Contact(
        agency_id=agency_id, channel=channel, address=address, receives_digest=receives_digest
    )
    session.add(contact)
    session.flush()
    audit.record(
        session,
        "task.contact.add",
        by=by,
        object_type="contact",
        object_id=contact.id,
        summary=f"{channel} {address}",
    )
    return contact


def send_reminders(
    session: Session,
    *,
    today: date,
    delivery: Delivery,
    days: Sequence[int] = DEFAULT_DAYS,
) -> PassReport:
    """One pass: reminders, overdue notices, then the leaders' digest of the day."""
    report = PassReport()
    horizon = today + timedelta(days=max(days))
    due = session.execute(
        select(Occurrence, Task, Agency)
        .join(Task, Task.id == Occurrence.task_id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .where(Occurrence.completed_on.is_(None))
        .where(Occurrence.due_on.is_not(None))
        .where(Occurrence.due_on <= horizon)
        .order_by(Occurrence.due_on, Occurrence.id)
    )
    contacts = _contacts_by_agency(session)
    for occurrence, task, agency in due:
        kind = notice_kind(occurrence.due_on, today, days) if occurrence.due_on else None
        if kind is None:
            continue
        for contact in contacts.get(agency.id, []):
            _notify_once(session, occurrence, task, agency, kind, contact, delivery, report)
    _send_digests(session, today, delivery, report)
    log.info(
        "reminder pass: %s sent, %s failed, %s digests", report.sent, report.failed, report.digests
    )
    return report


def notice_kind(due_on: date, today: date, days: Sequence[int]) -> str | None:
    """``before-3`` when 3 is the smallest reminder day not before the days left;
    ``overdue`` past the deadline; None when no reminder is due yet."""
    left = (due_on - today).days
    if left < 0:
        return "overdue"
    fitting = [d for d in days if d >= left]
    return f"before-{min(fitting)}" if fitting else None


def _notify_once(
    session: Session,
    occurrence: Occurrence,
    task: Task,
    agency: Agency,
    kind: str,
    contact: Contact,
    delivery: Delivery,
    report: PassReport,
) -> None:
    sent = session.scalar(
        select(Reminder.id).where(
            (Reminder.occurrence_id == occurrence.id)
            & (Reminder.kind == kind)
            & (Reminder.contact_id == contact.id)
        )
    )
    if sent is not None:
        return
    subject, body = _notice_text(occurrence, task, agency, kind)
    payload = {
        "type": "task." + ("overdue" if kind == "overdue" else "reminder"),
        "kind": kind,
        "task": task.id,
        "title": task.title,
        "agency": agency.code,
        "due_on": occurrence.due_on.isoformat() if occurrence.due_on else None,
        "period": occurrence.period or None,
    }
    if _deliver(contact, subject, body, payload, delivery):
        session.add(
            Reminder(
                occurrence_id=occurrence.id, kind=kind, contact_id=contact.id, sent_at=now_utc()
            )
        )
        session.flush()
        report.sent += 1
        report.kinds[kind] = report.kinds.get(kind, 0) + 1
    else:
        report.failed += 1


def _notice_text(occurrence: Occurrence, task: Task, agency: Agency, kind: str) -> tuple[str, str]:
    due = occurrence.due_on.strftime("%d/%m/%Y") if occurrence.due_on else ""
    period = f" (kỳ {occurrence.period})" if occurrence.period else ""
    if kind == "overdue":
        subject = f"[govops] Nhiệm vụ quá hạn: {task.title}"
        lead = f"Nhiệm vụ sau đã quá hạn {due}{period} mà chưa hoàn thành."
    else:
        left = kind.removeprefix("before-")
        subject = f"[govops] Còn {left} ngày đến hạn: {task.title}"
        lead = f"Nhiệm vụ sau đến hạn ngày {due}{period}."
    body = (
        f"Kính gửi {agency.name_vi},\n\n{lead}\n\n"
        f"Nhiệm vụ số {task.id}: {task.title}\n\n"
        "Đề nghị báo cáo tiến độ hoặc kết quả trên govops.\n"
    )
    return subject, body


def _deliver(
    contact: Contact, subject: str, body: str, payload: dict[str, object], delivery: Delivery
) -> bool:
    try:
        if contact.channel == "e-mail":
            _send_mail(contact.address, subject, body, delivery)
        else:
            response = httpx.post(contact.address, json=payload, timeout=delivery.timeout_seconds)
            response.raise_for_status()
    except (OSError, smtplib.SMTPException, httpx.HTTPError) as error:
        log.warning(
            "notice to contact %s failed: %s",
            contact.id,
            type(error).__name__,
            extra={"contact": contact.id},
        )
        return False
    return True


def _send_mail(address: str, subject: str, body: str, delivery: Delivery) -> None:
    message = EmailMessage()
    message["From"] = delivery.sender
    message["To"] = address
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(
        delivery.smtp_host, delivery.smtp_port, timeout=delivery.timeout_seconds
    ) as smtp:
        smtp.send_message(message)


def _contacts_by_agency(session: Session) -> dict[int, list[Contact]]:
    found: dict[int, list[Contact]] = {}
    for contact in session.scalars(select(Contact).where(Contact.agency_id.is_not(None))):
        found.setdefault(contact.agency_id or 0, []).append(contact)
    return found


def _send_digests(session: Session, today: date, delivery: Delivery, report: PassReport) -> None:
    readers = session.scalars(select(Contact).where(Contact.receives_digest.is_(True))).all()
    if not readers:
        return
    subject, body, payload = _digest(session, today)
    for contact in readers:
        done = session.scalar(
            select(DigestSent.id).where(
                (DigestSent.day == today) & (DigestSent.contact_id == contact.id)
            )
        )
        if done is not None:
            continue
        if _deliver(contact, subject, body, payload, delivery):
            session.add(DigestSent(day=today, contact_id=contact.id, sent_at=now_utc()))
            session.flush()
            report.digests += 1
        else:
            report.failed += 1


def _digest(session: Session, today: date) -> tuple[str, str, dict[str, object]]:
    status = status_expression(today)
    overdue = session.execute(
        select(Task.id, Task.title, Agency.code, Occurrence.due_on)
        .join(Occurrence, Occurrence.task_id == Task.id)
        .join(Agency, Agency.id == Task.lead_agency_id)
        .where(status == TaskStatus.OVERDUE.value)
        .order_by(Occurrence.due_on)
    ).all()
    week = today + timedelta(days=7)
    coming = session.scalar(
        select(func.count())
        .select_from(Occurrence)
        .where(Occurrence.completed_on.is_(None))
        .where(Occurrence.due_on.between(today, week))
    )
    lines = [f"- {code}: {title} (hạn {due:%d/%m/%Y})" for _, title, code, due in overdue[:20]]
    body = (
        f"Tổng hợp ngày {today.strftime('%d/%m/%Y')}\n\n"
        f"Nhiệm vụ quá hạn: {len(overdue)}\n"
        f"Nhiệm vụ đến hạn trong 7 ngày tới: {coming or 0}\n\n" + "\n".join(lines) + "\n"
    )
    subject = (
        f"[govops] Tổng hợp nhiệm vụ ngày {today.strftime('%d/%m/%Y')}: {len(overdue)} quá hạn"
    )
    payload: dict[str, object] = {
        "type": "task.digest",
        "day": today.isoformat(),
        "overdue": len(overdue),
        "due_within_7_days": coming or 0,
        "overdue_tasks": [task_id for task_id, *_ in overdue[:100]],
    }
    return subject, body, payload
