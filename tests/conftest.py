"""Shared fixtures: a fresh SQLite archive per test, users of every role, and the PostgreSQL server."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from monitor_app.services import settings, users  # noqa: E402
from monitor_app.services.access import SYSTEM  # noqa: E402
from monitor_app.storage.db import open_database  # noqa: E402

PASSWORDS = {"nurse": "nurse-pass-1", "nurse2": "nurse-pass-2", "charge": "charge-pass-1",
             "auditor": "auditor-pass-1", "admin": "admin-pass-1"}
ROLES = {"nurse": "nurse", "nurse2": "nurse", "charge": "charge_nurse", "auditor": "auditor",
         "admin": "administrator"}
POSTGRES_URL = os.environ.get("CHAIRSIDE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_server():
    """An AUTOCOMMIT engine on the PostgreSQL server's `postgres` database, for creating test databases.

    A missing server fails the test: the PostgreSQL tests never skip quietly. A machine without a server may say
    so with CHAIRSIDE_TEST_POSTGRES=skip, and then they are skipped with the reason.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    engine = create_engine(make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT",
                           connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine
    except Exception as exc:
        engine.dispose()
        where = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        message = (f"PostgreSQL server not reachable at {where} ({type(exc).__name__}); start it, or set "
                   "CHAIRSIDE_TEST_POSTGRES_URL to a server the tests may create databases on")
        if os.environ.get("CHAIRSIDE_TEST_POSTGRES") == "skip":
            pytest.skip(message)
        pytest.fail(message + " (CHAIRSIDE_TEST_POSTGRES=skip skips these tests on purpose)", pytrace=False)


def make_users(db):
    for name, role in ROLES.items():
        users.add_user(db, SYSTEM, name, f"{name.capitalize()} Tester", role, PASSWORDS[name], "RN")
    return {name: users.sign_in(db, name, PASSWORDS[name]) for name in ROLES}


@pytest.fixture
def db(tmp_path):
    database = open_database(None, tmp_path / "data", create=True)
    settings.bootstrap(database)
    yield database
    database.dispose()


@pytest.fixture
def actors(db):
    return make_users(db)


@pytest.fixture
def t0():
    """A clinical start time safely in the past, so every later step can pass its own `now`."""
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=6)
