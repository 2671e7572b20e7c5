"""lock-out after wrong passwords as a clinic setting

Revision ID: 0003
Revises: 0001

The clinic settings row gains two columns; the audit trail gets one row saying so (by the system), so that the
row still equals its last audited snapshot and `verify` stays intact on an upgraded archive.
"""
import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

FAILURES, MINUTES = 5, 15


def upgrade() -> None:
    with op.batch_alter_table("clinic_settings") as batch:
        batch.add_column(sa.Column("lockout_failures", sa.Integer(), nullable=False,
                                   server_default=str(FAILURES)))
        batch.add_column(sa.Column("lockout_minutes", sa.Integer(), nullable=False, server_default=str(MINUTES)))
    _audit_the_new_settings()


def _audit_the_new_settings() -> None:
    from monitor_app.services import audit
    from monitor_app.storage.models import UTCDateTime
    conn = op.get_bind()
    last_snapshot = conn.execute(sa.text(
        "SELECT after FROM audit_events WHERE entity = 'clinic_settings' AND entity_id = '1' AND after IS NOT NULL "
        "ORDER BY seq DESC LIMIT 1")).first()
    if last_snapshot is None:  # settings not made yet: they will be written, and audited, with the new columns
        return
    tail = conn.execute(sa.text("SELECT seq, row_hash FROM audit_events ORDER BY seq DESC LIMIT 1")).first()
    before = json.loads(last_snapshot.after)
    after = dict(before, lockout_failures=FAILURES, lockout_minutes=MINUTES)
    row = dict(seq=tail.seq + 1, at=datetime.now(timezone.utc), user_id=None, username="system", action="update",
               entity="clinic_settings", entity_id="1", session_id=None, before=audit.canonical(before),
               after=audit.canonical(after), reason=f"archive upgraded: the lock-out after wrong passwords is a "
                                                    f"clinic setting ({FAILURES} failures, {MINUTES} minutes)",
               prev_hash=tail.row_hash)
    row["row_hash"] = audit.row_hash(row)
    table = sa.table("audit_events", *(sa.column(k, UTCDateTime() if k == "at" else None) for k in row))
    conn.execute(sa.insert(table), [row])


def downgrade() -> None:
    with op.batch_alter_table("clinic_settings") as batch:
        batch.drop_column("lockout_minutes")
        batch.drop_column("lockout_failures")
