"""Observations keep no foreign keys, their submission index is a BRIN on PostgreSQL;
indicators carry the version of the data their answers depend on.

Revision ID: datastore_0003
Revises: 0002
Create Date: 2026-12-03 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "datastore_0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("data_version", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_constraint("fk_observation_series_id_series", type_="foreignkey")
        batch_op.drop_constraint("fk_observation_submission_id_submission", type_="foreignkey")
        batch_op.drop_index("ix_observation_submission_id")
        batch_op.create_index(
            "ix_observation_submission_id",
            ["submission_id"],
            unique=False,
            postgresql_using="brin",
        )


def downgrade() -> None:
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_column("data_version")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_submission_id")
        batch_op.create_index("ix_observation_submission_id", ["submission_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_observation_submission_id_submission", "submission", ["submission_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "fk_observation_series_id_series", "series", ["series_id"], ["id"]
        )
