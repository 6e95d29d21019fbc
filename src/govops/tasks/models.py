"""Tables of directives, their tasks, each task's deliverables and everything said about them.

A task's deadline is kept on its *occurrences*: a task with a date has one, a recurring
duty ("by the 20th of each month") one per period, a standing duty one without a date.
Status is never stored: it is computed from an occurrence's deadline, completion date
and today (see :mod:`govops.tasks.status`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govops.core.db import Base, UTCDateTime


class TaskFile(Base):
    """A file kept once by its SHA-256 digest: a directive's text, a report's attachment."""

    __tablename__ = "task_file"

    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Directive(Base):
    """A document of the Government or the Prime Minister that assigns tasks."""

    __tablename__ = "task_directive"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    issued_on: Mapped[date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    document_digest: Mapped[str | None] = mapped_column(ForeignKey("task_file.digest"))
    document_name: Mapped[str | None] = mapped_column(String(300))
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    tasks: Mapped[list[Task]] = relationship(back_populates="directive", order_by="Task.id")


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (Index("ix_task_directive_position", "directive_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int | None] = mapped_column(ForeignKey("task_directive.id"))
    # The task's place in its directive ("3", "2.b"), as the document numbers it.
    position: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    assigned_on: Mapped[date] = mapped_column(Date)
    deadline_kind: Mapped[str] = mapped_column(String(20))
    # For a dated task, its deadline as assigned (extensions move the occurrence's).
    due_on: Mapped[date | None] = mapped_column(Date)
    # For a monthly duty, the day of the month it falls due, and its last period.
    due_day: Mapped[int | None] = mapped_column(Integer)
    recurs_until: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    source: Mapped[str] = mapped_column(String(200), default="")
    # The deliverable the task's status is read from: the earliest not yet completed, or
    # the last when all are. No foreign key, as occurrences refer to their task already.
    current_occurrence_id: Mapped[int | None] = mapped_column(Integer, index=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    directive: Mapped[Directive | None] = relationship(back_populates="tasks")
    coordinators: Mapped[list[TaskCoordinator]] = relationship(
        cascade="all, delete-orphan", order_by="TaskCoordinator.agency_id"
    )
    indicators: Mapped[list[TaskIndicator]] = relationship(
        cascade="all, delete-orphan", order_by="TaskIndicator.indicator_id"
    )
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="task", cascade="all, delete-orphan", order_by="Occurrence.sequence"
    )


class TaskCoordinator(Base):
    __tablename__ = "task_coordinator"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("task.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True, index=True)


class TaskIndicator(Base):
    __tablename__ = "task_indicator"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("task.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), primary_key=True)


class Occurrence(Base):
    """One deliverable of a task: the task itself, or one period of a recurring duty.

    ``lead_agency_id`` and ``directive_id`` repeat the task's so scorecards group without
    a join.
    """

    __tablename__ = "task_occurrence"
    __table_args__ = (
        UniqueConstraint("task_id", "sequence"),
        # Covers scorecards and trends: they read only these columns, by deadline.
        Index(
            "ix_task_occurrence_scorecard", "due_on", "lead_agency_id", "completed_on", "started"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    # active_history: tallies need each value from before a change, even one not loaded.
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), active_history=True)
    directive_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_directive.id"), active_history=True
    )
    # SDMX period code of a recurring duty's period (2025-M03); empty for other tasks.
    period: Mapped[str] = mapped_column(String(20), default="")
    original_due_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, active_history=True)
    started: Mapped[bool] = mapped_column(Boolean, default=False, active_history=True)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    completed_on: Mapped[date | None] = mapped_column(Date, active_history=True)

    task: Mapped[Task] = relationship(back_populates="occurrences")


class TaskEvent(Base):
    """One change in a task's history, with who made it and what it changed (JSON)."""

    __tablename__ = "task_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    occurrence_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_occurrence.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    details: Mapped[str] = mapped_column(Text, default="{}")


class ProgressReport(Base):
    __tablename__ = "task_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("task_occurrence.id", ondelete="CASCADE")
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    percent: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A file attached to a progress report or to a completion's evidence."""

    __tablename__ = "task_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("task_report.id", ondelete="CASCADE"))
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("task_completion.id", ondelete="CASCADE")
    )
    file_digest: Mapped[str] = mapped_column(ForeignKey("task_file.digest"))
    filename: Mapped[str] = mapped_column(String(300))


class Comment(Base):
    __tablename__ = "task_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExtensionRequest(Base):
    __tablename__ = "task_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("task_occurrence.id", ondelete="CASCADE")
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current_due_on: Mapped[date] = mapped_column(Date)
    requested_due_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class Completion(Base):
    """A lead agency's claim that a deliverable is done, and the assigning side's answer."""

    __tablename__ = "task_completion"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"), index=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("task_occurrence.id", ondelete="CASCADE")
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The day the work was done, in Viet Nam; it decides on time or late once accepted.
    completed_on: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="submitted")
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class Contact(Base):
    """Where an agency's reminders go (``e-mail`` or ``webhook``); leaders get the digest."""

    __tablename__ = "task_contact"
    __table_args__ = (UniqueConstraint("agency_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(500))
    receives_digest: Mapped[bool] = mapped_column(Boolean, default=False)


class Reminder(Base):
    """A notice sent, kept so that each is sent once whatever the number of passes."""

    __tablename__ = "task_reminder"
    __table_args__ = (UniqueConstraint("occurrence_id", "kind", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("task_occurrence.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(30))
    contact_id: Mapped[int] = mapped_column(ForeignKey("task_contact.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestSent(Base):
    __tablename__ = "task_digest"
    __table_args__ = (UniqueConstraint("day", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    contact_id: Mapped[int] = mapped_column(ForeignKey("task_contact.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """A secret address of an iCalendar feed; only the secret's hash is kept."""

    __tablename__ = "task_calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Tally(Base):
    """How many deliverables of an agency (and directive) fall due in a month, by state.

    States are ``on_time``, ``late``, ``open_started`` and ``open_idle``: what a status
    is before today is known. Kept in step with every change to an occurrence in the
    same flush (:mod:`govops.tasks.tallies`), so scorecards over whole months add up a few
    thousand rows instead of reading every deliverable. ``directive_key`` is 0 for tasks
    without a directive, so the unique key holds on every database.
    """

    __tablename__ = "task_tally"
    __table_args__ = (UniqueConstraint("lead_agency_id", "directive_key", "month", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    directive_key: Mapped[int] = mapped_column(Integer)
    month: Mapped[date] = mapped_column(Date, index=True)
    state: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(Integer)
