"""Writes readings through the services until killed; prints each reading id only after record_reading returned.

Run by tests/test_crash.py: python tests/crash_writer.py DATA_DIR SESSION_ID USERNAME
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from monitor_app.domain.vitals import Vitals  # noqa: E402
from monitor_app.services import clinical  # noqa: E402
from monitor_app.services.users import actor_of  # noqa: E402
from monitor_app.storage.db import open_database  # noqa: E402
from monitor_app.storage.models import User  # noqa: E402


def main(data_dir: str, session_id: int, username: str) -> None:
    db = open_database(None, data_dir, create=True)
    with db.reader() as s:
        # The workstation's signed-in nurse (the password was checked when the test signed in).
        actor = actor_of(s.scalar(select(User).where(User.username == username)))
    rng = random.Random()
    while True:
        systolic = rng.randint(110, 150)
        vitals = Vitals(systolic=systolic, diastolic=systolic - rng.randint(30, 50), heart_rate=rng.randint(60, 95),
                        spo2=rng.randint(95, 100))
        reading_id = clinical.record_reading(db, actor, session_id, vitals)
        # Only now would the screen call the reading saved.
        print(reading_id, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
