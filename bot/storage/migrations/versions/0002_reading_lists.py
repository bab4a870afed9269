"""reading lists

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:16:26.032303
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "saves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("arxiv_id", sa.String(length=32), nullable=False),
        sa.Column("paper", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", "arxiv_id", name="uq_save"),
    )
    with op.batch_alter_table("saves", schema=None) as batch_op:
        batch_op.create_index("ix_saves_list", ["team_id", "user_id", "saved_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("saves", schema=None) as batch_op:
        batch_op.drop_index("ix_saves_list")

    op.drop_table("saves")
