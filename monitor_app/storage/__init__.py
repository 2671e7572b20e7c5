"""Persistence: SQLAlchemy models, engine set-up and Alembic migrations. The only package that speaks SQL."""
