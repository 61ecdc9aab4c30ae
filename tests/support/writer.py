"""A writer that inserts and updates rows while apexdb works, as a process of its own.

    python tests/support/writer.py DSN TABLE SECONDS OUT.json LOCK_TIMEOUT

(started by ``start_writer``; ``from support import start_writer, stop_writer``)

It stops by itself after SECONDS (or when OUT.json.stop exists) and writes what it did to OUT.json.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

def start_writer(dsn: str, table: str, out: Path, *, seconds: float = 3600, lock_timeout: str = "0") -> subprocess.Popen:
    """A process inserting and updating ``table(id, v, embedding vector(16))`` until ``stop_writer``
    (or ``seconds``); it writes what it did to ``out`` (see ``writer_main``)."""
    return subprocess.Popen([sys.executable, str(Path(__file__)), dsn, table, str(seconds), str(out), lock_timeout])


def stop_writer(proc: subprocess.Popen, out: Path) -> dict:
    out.with_name(out.name + ".stop").touch()
    proc.wait(60)
    return json.loads(out.read_text())


def writer_main(dsn: str, table: str, seconds: float, out: Path, lock_timeout: str) -> None:
    """Write until stopped: how many inserts and updates committed, the expected sum of ``v``, the
    slowest write, and every write that failed (one waiting for a lock longer than ``lock_timeout`` fails)."""
    import random

    rng = random.Random(7)
    ident = sql.Identifier(table)
    inserted, updated, failures, slowest, writes = 0, 0, [], 0.0, 0
    deadline = time.monotonic() + seconds
    stop = out.with_name(out.name + ".stop")
    with psycopg.connect(dsn, autocommit=True, application_name="load_writer",
                         options=f"-c lock_timeout={lock_timeout}") as conn:
        ids = [r[0] for r in conn.execute(sql.SQL("SELECT id FROM {}").format(ident))]
        expected = conn.execute(sql.SQL("SELECT coalesce(sum(v), 0) FROM {}").format(ident)).fetchone()[0]
        while time.monotonic() < deadline and not stop.exists():
            started = time.monotonic()
            try:
                if rng.random() < 0.5 or not ids:
                    v = rng.randint(1, 1000)
                    vec = "[" + ",".join(f"{rng.random():.4f}" for _ in range(16)) + "]"
                    new_id = conn.execute(sql.SQL("INSERT INTO {} (v, embedding) VALUES (%s, %s::vector) RETURNING id")
                                          .format(ident), [v, vec]).fetchone()[0]
                    ids.append(new_id)
                    inserted, expected = inserted + 1, expected + v
                else:
                    conn.execute(sql.SQL("UPDATE {} SET v = v + 1 WHERE id = %s").format(ident), [rng.choice(ids)])
                    updated, expected = updated + 1, expected + 1
            except psycopg.Error as exc:
                failures.append(f"{type(exc).__name__}: {str(exc).strip()[:200]}")
            writes += 1
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.005)
    out.write_text(json.dumps({"inserted": inserted, "updated": updated, "expected_sum": expected, "rows": len(ids),
                               "slowest_s": slowest, "writes": writes, "failures": failures}))


if __name__ == "__main__":
    writer_main(sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
