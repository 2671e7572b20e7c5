"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 02:35:30.369179
"""
from alembic import op
import sqlalchemy as sa



revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_events',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entity', ['entity', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_session_id'), ['session_id'], unique=False)

    op.create_table('monitoring_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('preset', sa.Boolean(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mrn', sa.String(length=64), nullable=False),
    sa.Column('family_name', sa.String(length=120), nullable=False),
    sa.Column('given_name', sa.String(length=120), nullable=False),
    sa.Column('family_key', sa.String(length=120), nullable=False),
    sa.Column('given_key', sa.String(length=120), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=True),
    sa.Column('allergies', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mrn')
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patients_family_key'), ['family_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_patients_given_key'), ['given_key'], unique=False)

    op.create_table('threshold_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('limits', sa.JSON(), nullable=False),
    sa.Column('preset', sa.Boolean(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('credentials', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('clinic_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schema_version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('logo_png', sa.LargeBinary(), nullable=True),
    sa.Column('page_size', sa.String(length=10), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('inactivity_lock_min', sa.Integer(), nullable=False),
    sa.Column('discharge_scale', sa.String(length=16), nullable=False),
    sa.Column('checklist_items', sa.JSON(), nullable=False),
    sa.Column('default_profile_id', sa.Integer(), nullable=True),
    sa.Column('default_schedule_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['default_profile_id'], ['threshold_profiles.id'], ),
    sa.ForeignKeyConstraint(['default_schedule_id'], ['monitoring_schedules.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('indication', sa.String(length=32), nullable=False),
    sa.Column('indication_other', sa.String(length=200), nullable=False),
    sa.Column('planned_infusions', sa.Integer(), nullable=False),
    sa.Column('prescriber', sa.String(length=200), nullable=False),
    sa.Column('outcome_measure', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_patient_id'), ['patient_id'], unique=False)

    op.create_table('infusion_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_uid', sa.String(length=36), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('chair', sa.String(length=32), nullable=False),
    sa.Column('primary_nurse_id', sa.Integer(), nullable=False),
    sa.Column('supervising_clinician', sa.String(length=200), nullable=False),
    sa.Column('medication', sa.String(length=120), nullable=False),
    sa.Column('dose_mg_per_kg', sa.Float(), nullable=True),
    sa.Column('dose_mg_total', sa.Float(), nullable=True),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('planned_minutes', sa.Integer(), nullable=False),
    sa.Column('lot_number', sa.String(length=64), nullable=False),
    sa.Column('concomitant_medicines', sa.JSON(), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('outcome_score_before', sa.Integer(), nullable=True),
    sa.Column('arrival_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('infusion_start_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('infusion_end_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('discharged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.Column('threshold_profile_id', sa.Integer(), nullable=True),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=True),
    sa.Column('has_critical', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ),
    sa.ForeignKeyConstraint(['primary_nurse_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['schedule_id'], ['monitoring_schedules.id'], ),
    sa.ForeignKeyConstraint(['threshold_profile_id'], ['threshold_profiles.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('course_id', 'number'),
    sa.UniqueConstraint('record_uid')
    )
    with op.batch_alter_table('infusion_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_infusion_sessions_arrival_at'), ['arrival_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_infusion_sessions_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_infusion_sessions_has_critical'), ['has_critical'], unique=False)
        batch_op.create_index(batch_op.f('ix_infusion_sessions_primary_nurse_id'), ['primary_nurse_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_infusion_sessions_status'), ['status'], unique=False)

    op.create_table('addenda',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('addenda', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addenda_session_id'), ['session_id'], unique=False)

    op.create_table('discharge_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('scale', sa.String(length=16), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('escort_present', sa.Boolean(), nullable=False),
    sa.Column('escort_name', sa.String(length=200), nullable=False),
    sa.Column('instructions_given', sa.Boolean(), nullable=False),
    sa.Column('observation_met', sa.Boolean(), nullable=False),
    sa.Column('early_reason', sa.Text(), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('discharge_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discharge_assessments_session_id'), ['session_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_session_id'), ['session_id'], unique=False)

    op.create_table('readings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('measured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('systolic', sa.Integer(), nullable=True),
    sa.Column('diastolic', sa.Integer(), nullable=True),
    sa.Column('heart_rate', sa.Integer(), nullable=True),
    sa.Column('spo2', sa.Integer(), nullable=True),
    sa.Column('resp_rate', sa.Integer(), nullable=True),
    sa.Column('moaas', sa.Integer(), nullable=True),
    sa.Column('pain_nrs', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.create_index('ix_readings_session_measured', ['session_id', 'measured_at'], unique=False)

    op.create_table('amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('addendum_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['addendum_id'], ['addenda.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendments_session_id'), ['session_id'], unique=False)

    op.create_table('signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('meaning', sa.String(length=16), nullable=False),
    sa.Column('printed_name', sa.String(length=200), nullable=False),
    sa.Column('credentials', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('addendum_id', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['addendum_id'], ['addenda.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_session_id'), ['session_id'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('reading_id', sa.Integer(), nullable=False),
    sa.Column('parameter', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('limit', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_by_amendment_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cleared_by_amendment_id'], ['amendments.id'], ),
    sa.ForeignKeyConstraint(['reading_id'], ['readings.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flags_reading_id'), ['reading_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_session_id'), ['session_id'], unique=False)

    op.create_table('flag_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('action_text', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['infusion_sessions.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('flag_id')
    )
    with op.batch_alter_table('flag_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_acknowledgements_session_id'), ['session_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('flag_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_acknowledgements_session_id'))

    op.drop_table('flag_acknowledgements')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flags_session_id'))
        batch_op.drop_index(batch_op.f('ix_flags_reading_id'))

    op.drop_table('flags')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_session_id'))

    op.drop_table('signatures')
    with op.batch_alter_table('amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendments_session_id'))

    op.drop_table('amendments')
    with op.batch_alter_table('readings', schema=None) as batch_op:
        batch_op.drop_index('ix_readings_session_measured')

    op.drop_table('readings')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_session_id'))

    op.drop_table('events')
    with op.batch_alter_table('discharge_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discharge_assessments_session_id'))

    op.drop_table('discharge_assessments')
    with op.batch_alter_table('addenda', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addenda_session_id'))

    op.drop_table('addenda')
    with op.batch_alter_table('infusion_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_infusion_sessions_status'))
        batch_op.drop_index(batch_op.f('ix_infusion_sessions_primary_nurse_id'))
        batch_op.drop_index(batch_op.f('ix_infusion_sessions_has_critical'))
        batch_op.drop_index(batch_op.f('ix_infusion_sessions_course_id'))
        batch_op.drop_index(batch_op.f('ix_infusion_sessions_arrival_at'))

    op.drop_table('infusion_sessions')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_patient_id'))

    op.drop_table('courses')
    op.drop_table('clinic_settings')
    op.drop_table('users')
    op.drop_table('threshold_profiles')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_given_key'))
        batch_op.drop_index(batch_op.f('ix_patients_family_key'))

    op.drop_table('patients')
    op.drop_table('monitoring_schedules')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_session_id'))
        batch_op.drop_index('ix_audit_entity')

    op.drop_table('audit_events')

