"""names: search keys insensitive to accents and Unicode normalisation, the whole name's keys, the name order

Revision ID: 0004
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

from monitor_app.domain.names import name_keys

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_key', sa.String(length=250), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('full_key_reversed', sa.String(length=250), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('family_first', sa.Boolean(), nullable=True))
    # Existing patients get the new keys (the family and given keys were only case-folded before).
    conn = op.get_bind()
    patients = sa.table('patients', sa.column('id', sa.Integer), sa.column('family_name', sa.String),
                        sa.column('given_name', sa.String), sa.column('family_key', sa.String),
                        sa.column('given_key', sa.String), sa.column('full_key', sa.String),
                        sa.column('full_key_reversed', sa.String))
    rows = conn.execute(sa.select(patients.c.id, patients.c.family_name, patients.c.given_name)).all()
    for pid, family, given in rows:
        conn.execute(patients.update().where(patients.c.id == pid).values(**name_keys(family, given)))
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patients_full_key'), ['full_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_patients_full_key_reversed'), ['full_key_reversed'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_full_key_reversed'))
        batch_op.drop_index(batch_op.f('ix_patients_full_key'))
        batch_op.drop_column('family_first')
        batch_op.drop_column('full_key_reversed')
        batch_op.drop_column('full_key')
