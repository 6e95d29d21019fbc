"""People's identities at an OpenID Connect provider, linked to their accounts.

Revision ID: security_0001
Revises: 0002
Create Date: 2026-12-04 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import govops.core.db

revision: str = "security_0001"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_identity",
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", govops.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_external_identity_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("issuer", "subject", name=op.f("pk_external_identity")),
    )
    op.create_index(
        op.f("ix_external_identity_user_id"), "external_identity", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_external_identity_user_id"), table_name="external_identity")
    op.drop_table("external_identity")
