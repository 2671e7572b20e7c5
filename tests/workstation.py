"""A workstation in its own process: told the version its nurse saw, it prints "ready", waits for "go" on its
standard input and makes one change, then prints one JSON line: {"saved": id} or {"refused": type, "message"}.

Run by tests/test_concurrency.py:
python tests/workstation.py URL DATA_DIR USERNAME ACTION TARGET_ID VERSION VALUE NOW_ISO
"""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from monitor_app.domain.errors import ChairsideError  # noqa: E402
from monitor_app.services import clinical  # noqa: E402
from monitor_app.services.users import actor_of  # noqa: E402
from monitor_app.storage.db import open_database  # noqa: E402
from monitor_app.storage.models import User  # noqa: E402

ALDRETE_OK = dict(activity=2, respiration=2, circulation=2, consciousness=2, oxygen=1)


def main(url, data_dir, username, action, target_id, version, value, now_iso) -> None:
    db = open_database(url, data_dir)
    with db.reader() as s:
        actor = actor_of(s.scalar(select(User).where(User.username == username)))
    now = datetime.fromisoformat(now_iso)
    target_id, version = int(target_id), int(version)
    change = {
        "amend": lambda: clinical.amend_reading(db, actor, target_id, {"heart_rate": int(value)}, "misread monitor",
                                                expected_version=version, now=now),
        "error": lambda: clinical.mark_entered_in_error(db, actor, "reading", target_id, value,
                                                        expected_version=version, now=now),
        "acknowledge": lambda: clinical.acknowledge_flag(db, actor, target_id, value, expected_version=version,
                                                         now=now),
        "discharge": lambda: clinical.discharge(db, actor, target_id, scale="aldrete", items=ALDRETE_OK,
                                                escort_present=True, escort_name=value, instructions_given=True,
                                                at=now, expected_version=version, now=now),
    }[action]
    db.engine.connect().close()  # connected before the moment, like a workstation that is already running
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        print(json.dumps({"saved": change()}), flush=True)
    except ChairsideError as exc:
        print(json.dumps({"refused": type(exc).__name__, "message": str(exc)}), flush=True)
    finally:
        db.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
