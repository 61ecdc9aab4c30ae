"""Custom checks, ``[checks.NAME]`` in the config file: thresholds on a returned column, message and
object templates, fixes in the fix script; and every way a check can be wrong, refused in one line."""
from __future__ import annotations

import pytest

from test_audit_schema import by_key

QUEUE = '''
[checks.queue_backlog]
sql = "SELECT queue, count(*) AS waiting FROM jobs WHERE done_at IS NULL GROUP BY queue ORDER BY queue"
column = "waiting"
threshold = 3
critical = 5
object = "jobs.{queue}"
message = "{waiting} jobs wait in {queue}"
fix = "VACUUM (ANALYZE) jobs;"
'''


@pytest.fixture
def jobs(db):
    db.sql("CREATE TABLE jobs (id int PRIMARY KEY, queue text NOT NULL, done_at timestamptz)")
    db.sql("INSERT INTO jobs SELECT g, CASE WHEN g <= 6 THEN 'mail' WHEN g <= 10 THEN 'sms' ELSE 'push' END, "
           "NULL FROM generate_series(1, 11) g")  # mail 6 (critical), sms 4 (warning), push 1 (nothing)


def config(tmp_path, text: str) -> dict[str, str]:
    path = tmp_path / "apexdb.toml"
    path.write_text(text)
    return {"APEXDB_CONFIG": str(path)}


def test_custom_check_thresholds_templates_and_fix(apex, jobs, tmp_path):
    env = config(tmp_path, QUEUE)
    r = apex("audit", "all", "--format", "json", env=env)
    assert r.exit_code == 1, r  # a critical finding
    got = by_key(r)
    assert got[("queue_backlog", "jobs.mail")]["severity"] == "critical"
    assert got[("queue_backlog", "jobs.mail")]["detail"] == "6 jobs wait in mail"
    assert got[("queue_backlog", "jobs.sms")]["severity"] == "warning"
    assert ("queue_backlog", "jobs.push") not in got
    assert "queue_backlog" in r.json["summary"]["checks"]
    script = apex("audit", "custom", "--fix", env=env).stdout
    assert "-- [critical] queue_backlog jobs.mail: 6 jobs wait in mail\nVACUUM (ANALYZE) jobs;" in script
    only = apex("audit", "custom", "--only", "queue_backlog", "--format", "json", env=env)
    assert {k[0] for k in by_key(only)} == {"queue_backlog"}
    assert apex("audit", "all", "--exclude", "queue_backlog", "--format", "json", env=env).json["summary"][
        "critical"] == 0


def test_a_check_without_thresholds_reports_every_row(apex, jobs, tmp_path):
    env = config(tmp_path, '[checks.undone]\nsql = "SELECT id, queue FROM jobs WHERE id > 9 ORDER BY id"\n'
                           'severity = "info"\n')
    got = by_key(apex("audit", "custom", "--format", "json", env=env))
    assert set(got) == {("undone", "10"), ("undone", "11")}
    assert got[("undone", "10")]["detail"] == "id=10, queue=sms" and got[("undone", "10")]["severity"] == "info"


@pytest.mark.parametrize("body, message", [
    ('sql = "DELETE FROM jobs"', "must be exactly one SELECT (found DeleteStmt)"),
    ('sql = "WITH d AS (DELETE FROM jobs RETURNING id) SELECT count(*) FROM d"', "the SQL writes (DELETE)"),
    ('sql = "SELECT 1; DROP TABLE jobs"', "must be exactly one SELECT"),
    ('sql = "SELEC queue FROM jobs"', "the SQL does not parse"),
    ('sql = "SELECT queue FROM jobs"\ncolumn = "waiting"\nthreshold = 1',
     "column 'waiting' is not among the columns the SQL returns (queue)"),
    ('sql = "SELECT no_such_column FROM jobs"', 'failed: column "no_such_column" does not exist [SQLSTATE 42703]'),
    ('sql = "SELECT queue FROM jobs"\nmessage = "{waiting} jobs"', "message template names {waiting}"),
    ('sql = "SELECT forget_jobs()"', "tried to write, and checks run READ ONLY"),
    ('sql = "SELECT 1"\nthreshold = 1', "threshold and critical compare a returned column"),
    ('sql = "SELECT 1"\nlevel = "high"', "unknown key(s) level (known: sql, column, threshold"),
    ('sql = "SELECT 1"\nseverity = "urgent"', "severity 'urgent': choose from info, warning, critical"),
])
def test_bad_custom_checks_are_refused_and_nothing_changes(apex, db, jobs, tmp_path, body, message):
    db.sql("CREATE FUNCTION forget_jobs() RETURNS int LANGUAGE sql AS 'DELETE FROM jobs RETURNING 1'")
    env = config(tmp_path, f"[checks.bad]\n{body}\n")
    r = apex("audit", "all", "--format", "json", env=env)
    assert r.exit_code == 2, r
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert message in r.stderr and "[checks.bad]" in r.stderr, r.stderr
    assert db.scalar("SELECT count(*) FROM jobs") == 11
    r = apex("audit", "custom", "--exit-codes", "nagios", env=env)
    assert r.exit_code == 3 and r.stdout.startswith("APEXDB AUDIT UNKNOWN: custom check [checks.bad]")
    assert apex("audit", "schema", env=env).exit_code == 0  # read only when custom checks run


def test_unknown_threshold_and_check_names_list_the_known_ones(apex):
    r = apex("audit", "schema", "--threshold", "sequence_warn=0.5")
    assert r.exit_code == 2 and "unknown audit threshold 'sequence_warn'" in r.stderr
    assert "sequence_warning_ratio" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = apex("audit", "schema", "--exclude", "no_pk")
    assert r.exit_code == 2 and "table_without_primary_key" in r.stderr


def test_a_custom_check_cannot_take_a_built_in_name(apex, tmp_path):
    env = config(tmp_path, '[checks.connections]\nsql = "SELECT 1"\n')
    r = apex("audit", "custom", env=env)
    assert r.exit_code == 2 and "not a built-in check's name" in r.stderr
