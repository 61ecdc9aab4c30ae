"""A writer that inserts and updates rows continuously while apexdb works (run as a process).

    python tests/load_writer.py DSN TABLE SECONDS OUT.json

It stops by itself after SECONDS (or when OUT.json.stop exists), loopback/unix socket only, and
writes what it did: how many inserts and updates committed, the expected sum of ``v``, the
slowest single write, and any write that failed.
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql


def main(dsn: str, table: str, seconds: float, out: Path) -> None:
    rng = random.Random(7)
    ident = sql.Identifier(table)
    inserted, updated, failures = 0, 0, []
    slowest, latencies = 0.0, []
    deadline = time.monotonic() + seconds
    stop = out.with_name(out.name + ".stop")
    with psycopg.connect(dsn, autocommit=True, application_name="load_writer") as conn:
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
                    inserted += 1
                    expected += v
                else:
                    target = rng.choice(ids)
                    conn.execute(sql.SQL("UPDATE {} SET v = v + 1 WHERE id = %s").format(ident), [target])
                    updated += 1
                    expected += 1
            except psycopg.Error as exc:
                failures.append(f"{type(exc).__name__}: {str(exc).strip()[:200]}")
            elapsed = time.monotonic() - started
            latencies.append(elapsed)
            slowest = max(slowest, elapsed)
            time.sleep(0.005)
    out.write_text(json.dumps({"inserted": inserted, "updated": updated, "expected_sum": expected,
                               "rows": len(ids), "slowest_s": slowest, "writes": len(latencies),
                               "failures": failures}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4]))
