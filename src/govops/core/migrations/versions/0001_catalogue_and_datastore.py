"""Catalogue (units, agencies, groups, dimensions, indicators, areas) and datastore.

Revision ID: 0001
Revises:
Create Date: 2026-12-03 17:12:16.007288
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govops.core.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["area.id"], name=op.f("fk_area_parent_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area")),
    )
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.create_index("ix_area_code_validity", ["code", "valid_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_area_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "dimension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dimension")),
        sa.UniqueConstraint("code", name=op.f("uq_dimension_code")),
    )
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_outbox")),
    )
    op.create_table(
        "indicator_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("coverage_target", govops.core.db.ExactDecimal(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_group")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_group_code")),
    )
    op.create_table(
        "raw_payload",
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_raw_payload")),
    )
    op.create_table(
        "unit",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("symbol", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_unit")),
    )
    op.create_table(
        "agency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_agency_area_id_area")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["agency.id"], name=op.f("fk_agency_parent_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency")),
        sa.UniqueConstraint("code", name=op.f("uq_agency_code")),
    )
    op.create_table(
        "area_lineage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=False),
        sa.Column("successor_id", sa.Integer(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("share", govops.core.db.ExactDecimal(), nullable=True),
        sa.ForeignKeyConstraint(
            ["predecessor_id"], ["area.id"], name=op.f("fk_area_lineage_predecessor_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"], ["area.id"], name=op.f("fk_area_lineage_successor_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_lineage")),
    )
    with op.batch_alter_table("area_lineage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_area_lineage_predecessor_id"), ["predecessor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_area_lineage_successor_id"), ["successor_id"], unique=False
        )

    op.create_table(
        "dimension_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dimension_id"],
            ["dimension.id"],
            name=op.f("fk_dimension_value_dimension_id_dimension"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dimension_value")),
    )
    with op.batch_alter_table("dimension_value", schema=None) as batch_op:
        batch_op.create_index("uq_dimension_value_code", ["dimension_id", "code"], unique=True)

    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("description_vi", sa.Text(), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("methodology_vi", sa.Text(), nullable=True),
        sa.Column("methodology_en", sa.Text(), nullable=True),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=4), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("area_rule", sa.String(length=20), nullable=False),
        sa.Column("weight_indicator_code", sa.String(length=60), nullable=True),
        sa.Column("time_rule", sa.String(length=20), nullable=False),
        sa.Column("classification", sa.String(length=20), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=True),
        sa.Column("official_code", sa.String(length=40), nullable=True),
        sa.Column("formula", sa.String(length=500), nullable=True),
        sa.Column("release", sa.String(length=300), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("updated_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"], ["agency.id"], name=op.f("fk_indicator_owner_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["unit.code"], name=op.f("fk_indicator_unit_code_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_code")),
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("received_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=True),
        sa.Column("payload_digest", sa.String(length=80), nullable=True),
        sa.Column("payload_size", sa.BigInteger(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("stored_count", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_submission_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
    )
    op.create_table(
        "indicator_dimension",
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("dimension_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dimension_id"],
            ["dimension.id"],
            name=op.f("fk_indicator_dimension_dimension_id_dimension"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_dimension_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "indicator_id", "dimension_id", name=op.f("pk_indicator_dimension")
        ),
    )
    op.create_table(
        "indicator_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["indicator_group.id"],
            name=op.f("fk_indicator_group_member_group_id_indicator_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_group_member_indicator_id_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "indicator_id", name=op.f("pk_indicator_group_member")
        ),
    )
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("dims_key", sa.String(length=300), nullable=False),
        sa.Column("latest_period_start", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_series_area_id_area")),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_series_indicator_id_indicator")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "uq_series_key", ["indicator_id", "area_id", "dims_key"], unique=True
        )

    op.create_table(
        "observation",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("recorded_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", govops.core.db.ExactDecimal(), nullable=True),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_observation_series_id_series")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_observation_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint(
            "series_id", "period_start", "recorded_at", name=op.f("pk_observation")
        ),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_observation_submission_id"), ["submission_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observation_submission_id"))

    op.drop_table("observation")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index("uq_series_key")
        batch_op.drop_index(batch_op.f("ix_series_area_id"))

    op.drop_table("series")
    op.drop_table("indicator_group_member")
    op.drop_table("indicator_dimension")
    op.drop_table("submission")
    op.drop_table("indicator")
    with op.batch_alter_table("dimension_value", schema=None) as batch_op:
        batch_op.drop_index("uq_dimension_value_code")

    op.drop_table("dimension_value")
    with op.batch_alter_table("area_lineage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_lineage_successor_id"))
        batch_op.drop_index(batch_op.f("ix_area_lineage_predecessor_id"))

    op.drop_table("area_lineage")
    op.drop_table("agency")
    op.drop_table("unit")
    op.drop_table("raw_payload")
    op.drop_table("indicator_group")
    op.drop_table("event_outbox")
    op.drop_table("dimension")
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_parent_id"))
        batch_op.drop_index("ix_area_code_validity")

    op.drop_table("area")
