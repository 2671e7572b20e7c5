"""versions of every changeable record, and the archive's own identity

Revision ID: 0002
Revises: 0001
"""
import uuid
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Records changed after they are written (a correction, an acknowledgement, an edit) carry the version their
# author saw, so a change made at another workstation in between is refused instead of overwritten.
_VERSIONED = ("readings", "events", "flags", "users", "clinic_settings")


def upgrade() -> None:
    for table in _VERSIONED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    identity = op.create_table(
        "archive_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("archive_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # An archive made before identities existed gets one now; the data directory learns it at the next open.
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    op.bulk_insert(identity, [{"id": 1, "archive_id": str(uuid.uuid4()), "created_at": now}])


def downgrade() -> None:
    op.drop_table("archive_identity")
    for table in _VERSIONED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("version")
