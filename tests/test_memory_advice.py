"""One set of memory rules: ``stats settings`` and ``audit config`` judge the same settings alike.

The two used to disagree (work_mem x max_connections between half the RAM and the RAM, shared_buffers
below an eighth of the RAM, a vector index larger than maintenance_work_mem); docs/changelog.md names
each verdict kept and why.
"""
from __future__ import annotations

import pytest

from apexdb.ops.settings import MemoryFacts, VectorIndexSize, judge_work_mem
from apexdb.units import GB, MB


def stats_rows(apex, ram: int) -> dict[str, dict]:
    r = apex("stats", "settings", "--ram", str(ram), "--format", "json")
    assert r.exit_code == 0, r
    return {row["name"]: row for row in r.json["settings"]}


def audit_findings(apex, ram: int, *checks: str) -> dict[str, dict]:
    only = [arg for check in checks for arg in ("--only", check)]
    r = apex("audit", "config", *only, "--threshold", f"ram_bytes={ram}", "--format", "json")
    assert r.exit_code == 0, r
    return {f["check"]: f for f in r.json["findings"]}


def work_mem_total(db) -> int:
    return db.scalar("SELECT pg_size_bytes(current_setting('work_mem')) * current_setting('max_connections')::int")


@pytest.mark.parametrize("ram_factor,severity", [(1.5, "warning"), (3, None)])
def test_work_mem_times_connections_above_half_the_ram_warns_in_both(apex, db, ram_factor, severity):
    ram = int(work_mem_total(db) * ram_factor)  # 1.5: between half the RAM and the RAM (audit was silent)
    assert stats_rows(apex, ram)["work_mem"]["status"] == (severity or "ok")
    found = audit_findings(apex, ram, "work_mem").get("work_mem")
    assert (found and found["severity"]) == severity
    if severity:
        assert "more than half the server's" in found["detail"] and found["fix"].startswith("ALTER SYSTEM SET work_mem")


def test_shared_buffers_below_an_eighth_of_the_ram_is_info_in_both(apex, db):
    ram = 64 * GB  # the test server has 128MB of shared_buffers
    row = stats_rows(apex, ram)["shared_buffers"]
    assert (row["status"], row["recommended"]) == ("info", "16GB")  # stats used to say warning
    found = audit_findings(apex, ram, "shared_buffers")["shared_buffers"]
    assert found["severity"] == "info" and "25% of the server's 64.0 GB" in found["detail"]
    assert stats_rows(apex, 1 * GB)["shared_buffers"]["status"] == "ok"  # 128MB of 1GB: about right
    assert "shared_buffers" not in audit_findings(apex, 1 * GB, "shared_buffers")


def test_a_vector_index_larger_than_maintenance_work_mem_is_info_in_both(apex, db):
    db.sql("CREATE TABLE emb (id int, e vector(64))")
    db.sql("INSERT INTO emb SELECT g, (SELECT array_agg(random() + d.i * 0 + g * 0) FROM generate_series(1, 64) d(i))"
           "::vector FROM generate_series(1, 3000) g")
    db.sql("CREATE INDEX emb_hnsw ON emb USING hnsw (e vector_l2_ops)")
    assert stats_rows(apex, 64 * GB)["maintenance_work_mem"]["status"] == "ok"  # fits in the default 64MB
    assert "maintenance_work_mem" not in audit_findings(apex, 64 * GB, "maintenance_work_mem")
    db.sql(f'ALTER DATABASE "{db.name}" SET maintenance_work_mem = \'1MB\'')
    row = stats_rows(apex, 64 * GB)["maintenance_work_mem"]
    assert row["status"] == "info" and "public.emb_hnsw" in row["note"]  # stats used to say warning
    found = audit_findings(apex, 64 * GB, "maintenance_work_mem")["maintenance_work_mem"]
    assert found["severity"] == "info" and found["detail"] == row["note"]
    assert found["fix"].startswith(f"ALTER DATABASE {db.name} SET maintenance_work_mem = '{row['recommended']}';")


def facts(work_mem: int, temp_bytes: int, ram: int | None) -> MemoryFacts:
    settings = {"work_mem": {"name": "work_mem", "value": f"{work_mem // MB}MB", "bytes": work_mem},
                "max_connections": {"name": "max_connections", "value": "100", "setting": "100", "bytes": None}}
    return MemoryFacts(settings, ram, [VectorIndexSize("public.i", "hnsw", 10 * MB)], temp_files=12,
                       temp_bytes=temp_bytes, temp_bytes_warning=GB, database="app")


def test_spilling_sorts_raise_work_mem_only_as_far_as_the_ram_allows():
    spilling = judge_work_mem(facts(4 * MB, 2 * GB, 64 * GB))
    assert spilling.status == "warning" and "12 temporary files" in spilling.note
    assert spilling.statements == ["ALTER DATABASE app SET work_mem = '8MB';"]
    tight = judge_work_mem(facts(64 * MB, 2 * GB, 16 * GB))  # doubled x 100 connections > half of 16GB
    assert tight.status == "warning" and tight.statements == []
    assert "pg_stat_statements.temp_blks_written" in tight.comments[0]
    quiet = judge_work_mem(facts(4 * MB, 10 * MB, 64 * GB))  # below the guidance, but nothing spills
    assert quiet.status == "ok" and "no need to raise it" in quiet.note
    unknown = judge_work_mem(facts(4 * MB, 10 * MB, None))
    assert unknown.needs_ram and unknown.recommended == "RAM x 0.25 / max_connections"
