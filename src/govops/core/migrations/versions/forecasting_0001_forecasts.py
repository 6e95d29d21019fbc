"""Forecasting: runs, forecasts and their values, failures, realised errors, outbox cursor.

Revision ID: forecasting_0001
Revises: 0002
Create Date: 2026-12-03 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govops.core.db

revision: str = "forecasting_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_forecast_cursor")),
    )
    op.create_table(
        "forecast_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("executor", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("series_count", sa.Integer(), nullable=False),
        sa.Column("refused_count", sa.Integer(), nullable=False),
        sa.Column("fallback_count", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_run")),
    )
    op.create_table(
        "forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("dims_key", sa.String(length=300), nullable=False),
        sa.Column("frequency", sa.String(length=4), nullable=False),
        sa.Column("made_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("as_of", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("vintage", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_observed", sa.Date(), nullable=False),
        sa.Column("last_observed", sa.Date(), nullable=False),
        sa.Column("observed_count", sa.Integer(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("error_scale", sa.Double(), nullable=False),
        sa.Column("reconciliation", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_forecast_area_id_area")),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_forecast_indicator_id_indicator")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_run.id"], name=op.f("fk_forecast_run_id_forecast_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast")),
    )
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecast_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            "ix_forecast_series_made",
            ["indicator_id", "area_id", "dims_key", "made_at"],
            unique=False,
        )

    op.create_table(
        "forecast_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("forecast_id", sa.Integer(), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=True),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_forecast_failure_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecast.id"],
            name=op.f("fk_forecast_failure_forecast_id_forecast"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_forecast_failure_indicator_id_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_run.id"], name=op.f("fk_forecast_failure_run_id_forecast_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_failure")),
    )
    with op.batch_alter_table("forecast_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecast_failure_run_id"), ["run_id"], unique=False)

    op.create_table(
        "forecast_realised_error",
        sa.Column("forecast_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("actual", sa.Double(), nullable=False),
        sa.Column("error", sa.Double(), nullable=False),
        sa.Column("scaled_error", sa.Double(), nullable=False),
        sa.Column("symmetric_percentage_error", sa.Double(), nullable=True),
        sa.Column("inside80", sa.Boolean(), nullable=False),
        sa.Column("inside95", sa.Boolean(), nullable=False),
        sa.Column("actual_recorded_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("measured_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecast.id"],
            name=op.f("fk_forecast_realised_error_forecast_id_forecast"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "forecast_id", "period_start", name=op.f("pk_forecast_realised_error")
        ),
    )
    op.create_table(
        "forecast_value",
        sa.Column("forecast_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("mean", sa.Double(), nullable=False),
        sa.Column("lo80", sa.Double(), nullable=False),
        sa.Column("hi80", sa.Double(), nullable=False),
        sa.Column("lo95", sa.Double(), nullable=False),
        sa.Column("hi95", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecast.id"],
            name=op.f("fk_forecast_value_forecast_id_forecast"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("forecast_id", "period_start", name=op.f("pk_forecast_value")),
    )


def downgrade() -> None:
    op.drop_table("forecast_value")
    op.drop_table("forecast_realised_error")
    with op.batch_alter_table("forecast_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_failure_run_id"))

    op.drop_table("forecast_failure")
    with op.batch_alter_table("forecast", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_series_made")
        batch_op.drop_index(batch_op.f("ix_forecast_run_id"))

    op.drop_table("forecast")
    op.drop_table("forecast_run")
    op.drop_table("forecast_cursor")
