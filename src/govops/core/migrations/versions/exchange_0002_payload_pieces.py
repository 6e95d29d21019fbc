"""Large deliveries' payloads kept in pieces.

Revision ID: exchange_0002
Revises: exchange_0001
Create Date: 2026-12-04 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "exchange_0002"
down_revision: str | None = "exchange_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_payload_piece",
        sa.Column("digest", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("digest", "seq", name=op.f("pk_exchange_payload_piece")),
    )


def downgrade() -> None:
    op.drop_table("exchange_payload_piece")
