"""The exchange hub: members, flows, access rules, deliveries, webhooks, jobs.

Revision ID: exchange_0001
Revises: 0002
Create Date: 2026-12-03 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govops.core.db

revision: str = "exchange_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_job_lease",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("expires_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_exchange_job_lease")),
    )
    op.create_table(
        "exchange_job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("started_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_job_run")),
    )
    with op.batch_alter_table("exchange_job_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_job_run_name"), ["name"], unique=False)

    op.create_table(
        "exchange_outbound_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=300), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_outbound_address")),
        sa.UniqueConstraint("pattern", name=op.f("uq_exchange_outbound_address_pattern")),
    )
    op.create_table(
        "exchange_flow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("provider_agency_id", sa.Integer(), nullable=False),
        sa.Column("provider_system", sa.String(length=60), nullable=True),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("indicators", sa.Text(), nullable=False),
        sa.Column("dimensions", sa.Text(), nullable=False),
        sa.Column("schedule", sa.String(length=40), nullable=False),
        sa.Column("freshness_minutes", sa.Integer(), nullable=False),
        sa.Column("transport", sa.String(length=10), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("validation_mode", sa.String(length=10), nullable=False),
        sa.Column("classification", sa.String(length=20), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("pull_url", sa.String(length=1000), nullable=True),
        sa.Column("pull_secret_header", sa.String(length=1000), nullable=True),
        sa.Column("pull_etag", sa.String(length=300), nullable=True),
        sa.Column("pull_last_modified", sa.String(length=100), nullable=True),
        sa.Column("pull_next_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pull_failures", sa.Integer(), nullable=False),
        sa.Column("pull_open_until", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pull_last_error", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_agency_id"],
            ["agency.id"],
            name=op.f("fk_exchange_flow_provider_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_flow")),
        sa.UniqueConstraint("code", name=op.f("uq_exchange_flow_code")),
    )
    with op.batch_alter_table("exchange_flow", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_flow_provider_agency_id"), ["provider_agency_id"], unique=False
        )

    op.create_table(
        "exchange_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("systems", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=True),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_exchange_member_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_member")),
        sa.UniqueConstraint("agency_id", name=op.f("uq_exchange_member_agency_id")),
    )
    op.create_table(
        "exchange_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_agency_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("flows", sa.Text(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_agency_id"],
            ["agency.id"],
            name=op.f("fk_exchange_subscription_consumer_agency_id_agency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_subscription")),
    )
    with op.batch_alter_table("exchange_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_subscription_consumer_agency_id"),
            ["consumer_agency_id"],
            unique=False,
        )

    op.create_table(
        "exchange_access_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("consumer_agency_id", sa.Integer(), nullable=False),
        sa.Column("max_classification", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_agency_id"],
            ["agency.id"],
            name=op.f("fk_exchange_access_rule_consumer_agency_id_agency"),
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["exchange_flow.id"],
            name=op.f("fk_exchange_access_rule_flow_id_exchange_flow"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_access_rule")),
    )
    with op.batch_alter_table("exchange_access_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_access_rule_consumer_agency_id"),
            ["consumer_agency_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_exchange_access_rule_flow", ["flow_id", "consumer_agency_id"], unique=True
        )

    op.create_table(
        "exchange_flow_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("lag_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["exchange_flow.id"],
            name=op.f("fk_exchange_flow_health_flow_id_exchange_flow"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_flow_health")),
    )
    with op.batch_alter_table("exchange_flow_health", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_flow_health_flow", ["flow_id", "checked_at"], unique=False
        )

    op.create_table(
        "exchange_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("transport", sa.String(length=10), nullable=False),
        sa.Column("payload_digest", sa.String(length=80), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("payload_size", sa.BigInteger(), nullable=False),
        sa.Column("received_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("processed_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("accepted_count", sa.BigInteger(), nullable=False),
        sa.Column("refused_count", sa.BigInteger(), nullable=False),
        sa.Column("warning_count", sa.BigInteger(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_exchange_inbound_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["exchange_flow.id"],
            name=op.f("fk_exchange_inbound_flow_id_exchange_flow"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_exchange_inbound_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_inbound")),
    )
    with op.batch_alter_table("exchange_inbound", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_inbound_flow_received", ["flow_id", "received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exchange_inbound_payload_digest"), ["payload_digest"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_exchange_inbound_status"), ["status"], unique=False)
        batch_op.create_index(
            "uq_exchange_inbound_idempotency", ["flow_id", "idempotency_key"], unique=True
        )

    op.create_table(
        "exchange_webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", govops.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["exchange_subscription.id"],
            name=op.f("fk_exchange_webhook_delivery_subscription_id_exchange_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_webhook_delivery")),
    )
    with op.batch_alter_table("exchange_webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_webhook_delivery_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "uq_exchange_webhook_delivery_event", ["subscription_id", "event_id"], unique=True
        )


def downgrade() -> None:
    op.drop_table("exchange_webhook_delivery")
    op.drop_table("exchange_inbound")
    op.drop_table("exchange_flow_health")
    op.drop_table("exchange_access_rule")
    op.drop_table("exchange_subscription")
    op.drop_table("exchange_member")
    op.drop_table("exchange_flow")
    op.drop_table("exchange_outbound_address")
    op.drop_table("exchange_job_run")
    op.drop_table("exchange_job_lease")
