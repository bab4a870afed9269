"""topic keys from the topic syntax parser

Subscriptions are deduplicated by a canonical key of their topic. The topic parser learned
phrases, exclusions, OR, author: and cat:, and a Porter2 stemmer, so every stored key is
recomputed from its topic text. Two topics that now mean the same keep the older row.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.core.query import parse_topic

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

subscriptions = sa.table(
    "subscriptions",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("channel_id", sa.String),
    sa.column("topic", sa.String),
    sa.column("topic_key", sa.String),
)


def upgrade() -> None:
    bind = op.get_bind()
    table = subscriptions.c
    rows = bind.execute(
        sa.select(table.id, table.team_id, table.channel_id, table.topic).order_by(table.id)
    ).all()
    keep: dict[tuple[str, str, str], int] = {}
    for row in rows:
        place = (row.team_id, row.channel_id, parse_topic(row.topic).key)
        if place in keep:
            bind.execute(sa.delete(subscriptions).where(table.id == row.id))
        else:
            keep[place] = row.id
    for row_id in keep.values():  # out of the way first: new keys may equal other rows' old ones
        bind.execute(
            sa.update(subscriptions).where(table.id == row_id).values(topic_key=f"#{row_id}")
        )
    for (_, _, key), row_id in keep.items():
        bind.execute(sa.update(subscriptions).where(table.id == row_id).values(topic_key=key))


def downgrade() -> None:
    """Keys stay in the new form: the older code reads them as opaque strings."""
