"""Plan targets, their status thresholds, warning rules, warnings and notification channels.

Revision ID: targets_0001
Revises: 0002
Create Date: 2026-12-03 19:56:21.170674
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govops.core.db

revision: str = "targets_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_channel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("min_severity", sa.String(length=10), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channel")),
    )
    op.create_table(
        "target_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("on_track_from", govops.core.db.ExactDecimal(), nullable=False),
        sa.Column("off_track_below", govops.core.db.ExactDecimal(), nullable=False),
        sa.Column("updated_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target_policy")),
    )
    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_alert_rule_area_id_area")),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_alert_rule_indicator_id_indicator")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rule")),
    )
    with op.batch_alter_table("alert_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_rule_indicator_id"), ["indicator_id"], unique=False
        )

    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=4), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("comparator", sa.String(length=12), nullable=False),
        sa.Column("low", govops.core.db.ExactDecimal(), nullable=False),
        sa.Column("high", govops.core.db.ExactDecimal(), nullable=True),
        sa.Column("tolerance", govops.core.db.ExactDecimal(), nullable=True),
        sa.Column("basis", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("source_kind", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_target_area_id_area")),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_target_indicator_id_indicator")
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["target.id"], name=op.f("fk_target_superseded_by_id_target")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_target")),
    )
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_area_id"), ["area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_target_indicator_id"), ["indicator_id"], unique=False)
        batch_op.create_index(
            "uq_target_key",
            ["indicator_id", "area_id", "frequency", "period_start", "basis", "source"],
            unique=True,
        )

    op.create_table(
        "early_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("cause", sa.String(length=300), nullable=False),
        sa.Column("open_cause", sa.String(length=300), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title_vi", sa.String(length=400), nullable=False),
        sa.Column("title_en", sa.String(length=400), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("period_code", sa.String(length=40), nullable=True),
        sa.Column("raised_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_early_warning_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_early_warning_indicator_id_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rule.id"], name=op.f("fk_early_warning_rule_id_alert_rule")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["target.id"], name=op.f("fk_early_warning_target_id_target")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_early_warning")),
        sa.UniqueConstraint("open_cause", name=op.f("uq_early_warning_open_cause")),
    )
    with op.batch_alter_table("early_warning", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_early_warning_cause"), ["cause"], unique=False)
        batch_op.create_index(batch_op.f("ix_early_warning_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_early_warning_status"), ["status"], unique=False)

    op.create_table(
        "notification_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notification_channel.id"],
            name=op.f("fk_notification_attempt_channel_id_notification_channel"),
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["early_warning.id"],
            name=op.f("fk_notification_attempt_warning_id_early_warning"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempt")),
    )
    with op.batch_alter_table("notification_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_attempt_warning_id"), ["warning_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_attempt_warning_id"))

    op.drop_table("notification_attempt")
    with op.batch_alter_table("early_warning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_early_warning_status"))
        batch_op.drop_index(batch_op.f("ix_early_warning_kind"))
        batch_op.drop_index(batch_op.f("ix_early_warning_cause"))

    op.drop_table("early_warning")
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.drop_index("uq_target_key")
        batch_op.drop_index(batch_op.f("ix_target_indicator_id"))
        batch_op.drop_index(batch_op.f("ix_target_area_id"))

    op.drop_table("target")
    with op.batch_alter_table("alert_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_rule_indicator_id"))

    op.drop_table("alert_rule")
    op.drop_table("target_policy")
    op.drop_table("notification_channel")
