"""Slack OAuth: installations, bots and OAuth states (slack-sdk's SQLAlchemy store tables)

The tables are defined by slack-sdk's `SQLAlchemyInstallationStore` and
`SQLAlchemyOAuthStateStore` (the code that reads and writes them); this migration creates them
in the project's database so that every process, and `papers-bot db upgrade`, agree on them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _metadata(bind: Any) -> list[sa.MetaData]:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    installations = SQLAlchemyInstallationStore(client_id="", engine=bind)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=bind)
    return [installations.metadata, states.metadata]


def upgrade() -> None:
    bind = op.get_bind()
    for metadata in _metadata(bind):
        metadata.create_all(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for metadata in _metadata(bind):
        metadata.drop_all(bind)
