"""``apexdb audit --exit-codes nagios``: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, with one status line
(and perfdata) on stdout, as a monitoring runner reads it; ``--quiet`` and silence on a pipe."""
from __future__ import annotations

from support import run_cli

NAGIOS = ["--exit-codes", "nagios"]


def test_ok(apex, db):
    db.sql("CREATE TABLE fine (id bigint PRIMARY KEY)")
    r = apex("audit", "schema", *NAGIOS)
    assert r.exit_code == 0, r
    assert r.stdout.splitlines()[0] == "APEXDB AUDIT OK: 0 critical, 0 warning, 0 info"


def test_warning(apex, db):
    db.sql("CREATE TABLE nopk (a int)")
    r = apex("audit", "schema", *NAGIOS)
    assert r.exit_code == 1, r
    lines = r.stdout.splitlines()
    assert lines[0] == "APEXDB AUDIT WARNING: 0 critical, 1 warning, 0 info: table_without_primary_key public.nopk"
    assert lines[1].startswith("WARNING table_without_primary_key public.nopk: no primary key")
    assert "error:" not in r.stderr  # the status line is the answer, not an error
    # the default exit codes stay as documented: a warning is exit 0 under --fail-on critical
    assert apex("audit", "schema").exit_code == 0


def test_critical_with_perfdata(apex, db):
    db.sql("CREATE TABLE s (id serial PRIMARY KEY, j json); SELECT setval('s_id_seq', 2147054000)")
    r = apex("audit", "schema", *NAGIOS, "--perfdata")
    assert r.exit_code == 2, r
    status, perf = r.stdout.splitlines()[0].split(" | ")
    assert status.startswith("APEXDB AUDIT CRITICAL: 1 critical, 1 warning, 1 info: sequence_overflow public.s_id_seq")
    metrics = dict(item.split("=", 1) for item in perf.split())
    assert metrics["critical"] == "1;;;0" and metrics["warning"] == "1;;;0"
    assert metrics["sequence_used"] == "99.98%;80;95;0;100"


def test_unknown_for_usage_errors_connection_and_database_errors(apex, db, tmp_path):
    r = apex("audit", "schema", *NAGIOS, "--no-such-option")
    assert r.exit_code == 3 and r.stdout.startswith("APEXDB AUDIT UNKNOWN: No such option: --no-such-option"), r
    r = apex("audit", "schema", *NAGIOS, "--only", "no_such_check")
    assert r.exit_code == 3 and r.stdout.startswith("APEXDB AUDIT UNKNOWN: unknown audit check 'no_such_check'"), r
    r = apex("audit", "nothing", *NAGIOS)
    assert r.exit_code == 3 and "unknown audit 'nothing'" in r.stdout, r
    r = run_cli(["audit", "schema", *NAGIOS, "--dsn", db.dsn + "_missing"])
    assert r.exit_code == 3 and r.stdout.startswith("APEXDB AUDIT UNKNOWN: cannot connect"), r
    # a check the database fails (here a custom one dividing by zero) and nothing worse found: UNKNOWN
    config = tmp_path / "apexdb.toml"
    config.write_text('[checks.broken]\nsql = "SELECT 1 / 0 AS x"\n')
    r = apex("audit", "custom", *NAGIOS, env={"APEXDB_CONFIG": str(config)})
    assert r.exit_code == 3 and r.stdout.startswith("APEXDB AUDIT UNKNOWN: 0 critical, 1 warning"), r
    assert "division by zero" in r.stdout
    # without nagios codes the same usage error is the documented 2
    assert apex("audit", "schema", "--no-such-option").exit_code == 2


def test_config_sets_exit_codes_and_perfdata(apex, db, tmp_path):
    db.sql("CREATE TABLE nopk (a int)")
    config = tmp_path / "apexdb.toml"
    config.write_text('[audit]\nexit_codes = "nagios"\nperfdata = true\n')
    env = {"APEXDB_CONFIG": str(config)}
    r = apex("audit", "all", env=env)
    assert r.exit_code == 1, r
    assert r.stdout.startswith("APEXDB AUDIT WARNING") and " | critical=0;;;0 " in r.stdout.splitlines()[0]
    assert "connections=" in r.stdout.splitlines()[0]
    r = apex("audit", "all", "--bad-option", env=env)
    assert r.exit_code == 3 and r.stdout.startswith("APEXDB AUDIT UNKNOWN"), r
    assert apex("audit", "schema", "--exit-codes", "default", env=env).exit_code == 0
    r = apex("audit", "schema", "--exit-codes", "icinga")
    assert r.exit_code == 2 and "choose from default, nagios" in r.stderr


def test_json_under_nagios_carries_the_status(apex, db):
    db.sql("CREATE TABLE nopk (a int)")
    r = apex("audit", "schema", *NAGIOS, "--format", "json")
    assert r.exit_code == 1
    assert r.json["status"] == "WARNING" and r.json["findings"][0]["object"] == "public.nopk"


def test_quiet_when_all_is_well(apex_proc, db):
    db.sql("CREATE TABLE fine (id bigint PRIMARY KEY)")
    r = apex_proc("audit", "schema")  # a pipe, as under cron
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    db.sql("CREATE TABLE nopk (a int)")
    r = apex_proc("audit", "schema", "--quiet")
    assert r.exit_code == 0 and "public.nopk" in r.stdout  # findings are still printed
    r = apex_proc("audit", "config", "--quiet", "--only", "pg_stat_statements_missing")
    assert r.stderr == ""
