"""Directives, tasks, their occurrences, reports, extensions, completions and reminders.

Revision ID: tasks_0001
Revises: 0002
Create Date: 2026-12-03 20:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govops.core.db

revision: str = "tasks_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_file",
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_task_file")),
    )
    op.create_table(
        "task_directive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("signer", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("document_digest", sa.String(length=80), nullable=True),
        sa.Column("document_name", sa.String(length=300), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_digest"],
            ["task_file.digest"],
            name=op.f("fk_task_directive_document_digest_task_file"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_directive")),
        sa.UniqueConstraint("number", name=op.f("uq_task_directive_number")),
    )
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("deadline_kind", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_day", sa.Integer(), nullable=True),
        sa.Column("recurs_until", sa.Date(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("current_occurrence_id", sa.Integer(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["task_directive.id"],
            name=op.f("fk_task_directive_id_task_directive"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"], ["agency.id"], name=op.f("fk_task_lead_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_current_occurrence_id"), ["current_occurrence_id"], unique=False
        )
        batch_op.create_index(
            "ix_task_directive_position", ["directive_id", "position"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_task_lead_agency_id"), ["lead_agency_id"], unique=False
        )

    op.create_table(
        "task_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("receives_digest", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_task_contact_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_contact")),
        sa.UniqueConstraint(
            "agency_id",
            "channel",
            "address",
            name=op.f("uq_task_contact_agency_id_channel_address"),
        ),
    )
    op.create_table(
        "task_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=False),
        sa.Column("directive_key", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"], ["agency.id"], name=op.f("fk_task_tally_lead_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_tally")),
        sa.UniqueConstraint(
            "lead_agency_id",
            "directive_key",
            "month",
            "state",
            name=op.f("uq_task_tally_lead_agency_id_directive_key_month_state"),
        ),
    )
    with op.batch_alter_table("task_tally", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_tally_month"), ["month"], unique=False)

    op.create_table(
        "task_calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_task_calendar_feed_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_task_calendar_feed_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_calendar_feed")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_task_calendar_feed_secret_hash")),
    )
    op.create_table(
        "task_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_task_comment_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_comment_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_comment")),
    )
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_comment_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_coordinator",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_task_coordinator_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_coordinator_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "agency_id", name=op.f("pk_task_coordinator")),
    )
    with op.batch_alter_table("task_coordinator", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_coordinator_agency_id"), ["agency_id"], unique=False
        )

    op.create_table(
        "task_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["task_contact.id"],
            name=op.f("fk_task_digest_contact_id_task_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_digest")),
        sa.UniqueConstraint("day", "contact_id", name=op.f("uq_task_digest_day_contact_id")),
    )
    op.create_table(
        "task_indicator",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_task_indicator_indicator_id_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_indicator_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", "indicator_id", name=op.f("pk_task_indicator")),
    )
    op.create_table(
        "task_occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("lead_agency_id", sa.Integer(), nullable=False),
        sa.Column("directive_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("original_due_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("started", sa.Boolean(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["directive_id"],
            ["task_directive.id"],
            name=op.f("fk_task_occurrence_directive_id_task_directive"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_agency_id"],
            ["agency.id"],
            name=op.f("fk_task_occurrence_lead_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_occurrence_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_occurrence")),
        sa.UniqueConstraint(
            "task_id", "sequence", name=op.f("uq_task_occurrence_task_id_sequence")
        ),
    )
    with op.batch_alter_table("task_occurrence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_occurrence_scorecard",
            ["due_on", "lead_agency_id", "completed_on", "started"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_task_occurrence_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_completion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_task_completion_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["task_occurrence.id"],
            name=op.f("fk_task_completion_occurrence_id_task_occurrence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_completion_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_completion")),
    )
    with op.batch_alter_table("task_completion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_completion_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=True),
        sa.Column("at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("actor_agency_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_agency_id"], ["agency.id"], name=op.f("fk_task_event_actor_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["task_occurrence.id"],
            name=op.f("fk_task_event_occurrence_id_task_occurrence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_event_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_event")),
    )
    with op.batch_alter_table("task_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_event_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("current_due_on", sa.Date(), nullable=False),
        sa.Column("requested_due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_task_extension_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["task_occurrence.id"],
            name=op.f("fk_task_extension_occurrence_id_task_occurrence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_extension_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_extension")),
    )
    with op.batch_alter_table("task_extension", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_extension_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["task_contact.id"],
            name=op.f("fk_task_reminder_contact_id_task_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["task_occurrence.id"],
            name=op.f("fk_task_reminder_occurrence_id_task_occurrence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reminder")),
        sa.UniqueConstraint(
            "occurrence_id",
            "kind",
            "contact_id",
            name=op.f("uq_task_reminder_occurrence_id_kind_contact_id"),
        ),
    )
    op.create_table(
        "task_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("submitted_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_task_report_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["task_occurrence.id"],
            name=op.f("fk_task_report_occurrence_id_task_occurrence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_report_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_report")),
    )
    with op.batch_alter_table("task_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_report_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("completion_id", sa.Integer(), nullable=True),
        sa.Column("file_digest", sa.String(length=80), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["completion_id"],
            ["task_completion.id"],
            name=op.f("fk_task_attachment_completion_id_task_completion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_digest"],
            ["task_file.digest"],
            name=op.f("fk_task_attachment_file_digest_task_file"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["task_report.id"],
            name=op.f("fk_task_attachment_report_id_task_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["task.id"],
            name=op.f("fk_task_attachment_task_id_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attachment")),
    )
    with op.batch_alter_table("task_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_attachment_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_attachment_task_id"))

    op.drop_table("task_attachment")
    with op.batch_alter_table("task_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_report_task_id"))

    op.drop_table("task_report")
    op.drop_table("task_reminder")
    with op.batch_alter_table("task_extension", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_extension_task_id"))

    op.drop_table("task_extension")
    with op.batch_alter_table("task_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_event_task_id"))

    op.drop_table("task_event")
    with op.batch_alter_table("task_completion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_completion_task_id"))

    op.drop_table("task_completion")
    with op.batch_alter_table("task_occurrence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_occurrence_task_id"))
        batch_op.drop_index("ix_task_occurrence_scorecard")

    op.drop_table("task_occurrence")
    op.drop_table("task_indicator")
    op.drop_table("task_digest")
    with op.batch_alter_table("task_coordinator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_coordinator_agency_id"))

    op.drop_table("task_coordinator")
    with op.batch_alter_table("task_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_comment_task_id"))

    op.drop_table("task_comment")
    op.drop_table("task_calendar_feed")
    with op.batch_alter_table("task_tally", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_tally_month"))

    op.drop_table("task_tally")
    op.drop_table("task_contact")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_lead_agency_id"))
        batch_op.drop_index("ix_task_directive_position")
        batch_op.drop_index(batch_op.f("ix_task_current_occurrence_id"))

    op.drop_table("task")
    op.drop_table("task_directive")
    op.drop_table("task_file")
