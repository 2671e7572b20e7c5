"""Shared fixtures: a fresh SQLite archive per test, users of every role, and the PostgreSQL server."""
from __future__ import annotations

import os
import time
from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Hermetic: no test, and no process a test starts, may reach the archive named in the caller's environment or
# read the workstation's time zone. The zone is pinned to UTC rather than left to /etc/localtime so that it
# differs from every test clinic's zone: a screen or page that used the workstation's zone shows a wrong hour.
os.environ.pop("MONITOR_APP_DATABASE_URL", None)
os.environ["TZ"] = "UTC"
time.tzset()

from monitor_app.services import settings, users  # noqa: E402
from monitor_app.services.access import SYSTEM  # noqa: E402
from monitor_app.storage.db import open_database  # noqa: E402

PASSWORDS = {"nurse": "nurse-pass-1", "nurse2": "nurse-pass-2", "charge": "charge-pass-1",
             "auditor": "auditor-pass-1", "admin": "admin-pass-1"}
ROLES = {"nurse": "nurse", "nurse2": "nurse", "charge": "charge_nurse", "auditor": "auditor",
         "admin": "administrator"}
# Every test clinic keeps its own time zone, one with daylight saving time (SPEC 3, rule 6).
CLINIC_ZONE = "America/New_York"
# A fixed clinical day that crosses a change of the clocks: 23:30 EST on 7 March 2026; at 02:00 EST on 8 March
# (07:00 UTC) clocks go forward to 03:00 EDT. Sessions of the tests run from here, never from the wall clock.
T0 = datetime(2026, 3, 8, 4, 30, tzinfo=timezone.utc)
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


@contextmanager
def postgres_database():
    """A new, empty database on the test server, dropped afterwards (connections and all); yields its URL."""
    import secrets
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    server = postgres_server()
    name = f"chairside_test_{secrets.token_hex(6)}"
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def make_users(db):
    for name, role in ROLES.items():
        users.add_user(db, SYSTEM, name, f"{name.capitalize()} Tester", role, PASSWORDS[name], "RN")
    return {name: users.sign_in(db, name, PASSWORDS[name]) for name in ROLES}


def set_clinic_zone(db, zone: str = CLINIC_ZONE) -> None:
    """Give the archive's clinic an explicit time zone, as the first-run wizard or an administrator would."""
    cs = settings.read_settings(db)
    settings.update_clinic(db, SYSTEM, settings.ClinicDetails(
        name=cs.name, address=cs.address, page_size=cs.page_size, timezone=zone,
        inactivity_lock_min=cs.inactivity_lock_min, discharge_scale=cs.discharge_scale,
        checklist_items=tuple(cs.checklist_items)))


def new_archive(data_dir, url: str | None = None):
    """A new archive with its clinic settings and the clinic's zone, made on purpose (create=True)."""
    database = open_database(url, data_dir, create=True)
    settings.bootstrap(database)
    set_clinic_zone(database)
    return database


def new_demo_archive(data_dir, now: datetime = T0):
    """The demo clinic (SPEC 7, `demo`) in the clinic's zone, built as of a fixed `now`."""
    from monitor_app.services import demo
    database = new_archive(data_dir)
    demo.create_demo(database, now=now)
    return database


@pytest.fixture(scope="session", autouse=True)
def quick_passwords():
    """Argon2 at its cheapest for the tests' own users: the product's cost (64 MiB, 3 passes) is a tenth of a
    second or more per hash and per check, and every test makes five users and signs each in. A hash records its
    own parameters, so checking one is the product's code either way. A test that needs the real cost asks for
    `real_argon2`; the programs the tests start in processes of their own always have it."""
    from argon2 import PasswordHasher
    from monitor_app.services import passwords
    real, passwords._hasher = passwords._hasher, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture
def real_argon2(monkeypatch):
    """The product's own password hashing (argon2-cffi's defaults, RFC 9106), for this test's users too."""
    from argon2 import PasswordHasher
    from monitor_app.services import passwords
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())


@pytest.fixture
def db(tmp_path):
    database = new_archive(tmp_path / "data")
    yield database
    database.dispose()


@pytest.fixture
def actors(db):
    return make_users(db)


@pytest.fixture
def t0():
    """The patient's arrival: a fixed moment, so every later step passes its own `now` and no result depends on
    the day the suite runs."""
    return T0
