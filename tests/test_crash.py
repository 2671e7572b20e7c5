"""A reading the screen called saved survives a killed process (SPEC 8): SIGKILL a writer at random moments."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor_app.services import integrity
from monitor_app.storage.db import open_database
from monitor_app.storage.models import Reading
from session_flow import open_session

WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 6


def run_and_kill(data_dir: Path, session_id: int, rng: random.Random, wait_for_first: bool) -> tuple[list[int], str]:
    """Start the writer, SIGKILL it at a random moment, and return the ids it confirmed (complete lines)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(WRITER), str(data_dir), str(session_id), "nurse"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    out = bytearray()
    first = threading.Event()

    def pump():
        while chunk := os.read(proc.stdout.fileno(), 4096):
            out.extend(chunk)
            if b"\n" in out:
                first.set()
    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        if wait_for_first:
            assert first.wait(60), "the writer saved nothing within a minute: " + proc.stderr.read1().decode()
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            time.sleep(rng.uniform(0.0, 1.5))  # possibly while it is still opening the database
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        reader.join(10)
        err = proc.stderr.read().decode()
    assert proc.returncode == -signal.SIGKILL, err
    text = out.decode()
    lines = text.split("\n")[:-1]  # a last line without its newline was not confirmed
    return [int(line) for line in lines], err


@pytest.mark.slow
def test_confirmed_readings_survive_sigkill(db, actors, t0):
    sid = open_session(db, actors["nurse"], t0)
    data_dir = db.data_dir
    db.dispose()
    rng = random.Random()
    confirmed: list[int] = []
    started = time.monotonic()
    for n in range(ROUNDS):
        ids, err = run_and_kill(data_dir, sid, rng, wait_for_first=n % 3 != 2)
        assert "Traceback" not in err, err
        confirmed += ids
        if time.monotonic() - started > 25:
            break
    assert len(confirmed) > 5, "the writer hardly wrote: the test proves nothing"
    assert len(set(confirmed)) == len(confirmed)
    print(f"{len(confirmed)} readings confirmed over {n + 1} kills")

    path = data_dir / "chairside.sqlite"
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    reopened = open_database(None, data_dir)
    try:
        with reopened.reader() as s:
            stored = set(s.scalars(select(Reading.id).where(Reading.session_id == sid)))
        missing = sorted(set(confirmed) - stored)
        assert not missing, f"confirmed as saved but lost: {missing}"
        report = integrity.verify_archive(reopened, actors["charge"])
        assert report.intact, report.problems
    finally:
        reopened.dispose()
