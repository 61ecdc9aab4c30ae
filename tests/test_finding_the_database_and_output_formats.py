"""The foundation: version/help, finding the database, info, output formats, errors."""
from __future__ import annotations

import json

import pytest

from support import run_cli


def test_version_and_help_list_the_groups(apex):
    from apexdb import __version__

    r = apex("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"apexdb {__version__}"
    r = apex("--help")
    assert r.exit_code == 0
    for group in ("server", "info", "demo"):
        assert group in r.stdout


def test_info_json_reports_server_vector_and_settings(apex, db):
    r = apex("info", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    assert doc["server"]["server_version_num"] >= 180000
    assert doc["server"]["database"] == db.name
    assert doc["vector_version"].startswith("0.8")
    names = {s["name"] for s in doc["settings"]}
    assert {"shared_buffers", "maintenance_work_mem", "hnsw.ef_search", "ivfflat.probes"} <= names
    assert doc["pg_stat_statements"]["preloaded"] is True
    assert doc["pg_stat_statements"]["readable"] is True


@pytest.mark.parametrize("fmt,marker", [("table", "pgvector"), ("csv", "item,value"),
                                        ("markdown", "| item"), ("json", '"server"')])
def test_info_in_every_format(apex, fmt, marker):
    r = apex("info", "--format", fmt)
    assert r.exit_code == 0, r
    assert marker in r.stdout
    assert "\x1b[" not in r.stdout  # piped: no colour codes


def test_dsn_flag_beats_environment(apex, db):
    r = apex("info", "--format", "json", "--dsn", db.dsn, env={"APEXDB_DSN": "postgresql:///nope?host=/nonexistent"})
    assert r.exit_code == 0, r
    assert r.json["target"]["source"] == "--dsn"


def test_database_url_used_when_no_apexdb_dsn(db):
    r = run_cli(["info", "--format", "json"], env={"DATABASE_URL": db.dsn})
    assert r.exit_code == 0, r
    assert r.json["target"]["source"] == "DATABASE_URL"


def test_named_target_from_config_file(db, tmp_path, monkeypatch):
    cfg = tmp_path / "apexdb.toml"
    cfg.write_text(f'[targets.staging]\ndsn = "{db.dsn}"\n')
    monkeypatch.chdir(tmp_path)
    r = run_cli(["info", "--format", "json", "--target", "staging"])
    assert r.exit_code == 0, r
    assert r.json["target"]["source"] == "target staging"
    r = run_cli(["info", "--format", "json"], env={"APEXDB_TARGET": "staging"})
    assert r.exit_code == 0 and r.json["server"]["database"] == db.name


def test_libpq_environment_used_before_embedded(db, pg_server):
    env = {"PGHOST": str(pg_server.socket_dir), "PGPORT": str(pg_server.port), "PGDATABASE": db.name,
           "PGUSER": "postgres"}
    r = run_cli(["info", "--format", "json"], env=env)
    assert r.exit_code == 0, r
    assert r.json["target"]["source"] == "libpq environment"
    assert r.json["server"]["database"] == db.name


def test_embedded_default_when_nothing_else(pg_server):
    r = run_cli(["info", "--format", "json"])
    assert r.exit_code == 0, r
    assert r.json["target"]["source"] == "embedded"
    assert r.json["server"]["database"] == "apexdb"


def test_key_value_dsn_works(db, pg_server):
    dsn = f"host={pg_server.socket_dir} port={pg_server.port} dbname={db.name} user=postgres"
    r = run_cli(["info", "--format", "json", "--dsn", dsn])
    assert r.exit_code == 0, r


def test_entry_point_subprocess(apex_proc):
    r = apex_proc("info", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["vector_version"]


def test_target_flag_beats_environment_dsn(db, tmp_path, monkeypatch):
    (tmp_path / "apexdb.toml").write_text(f'[targets.here]\ndsn = "{db.dsn}"\n')
    monkeypatch.chdir(tmp_path)
    r = run_cli(["info", "--format", "json", "--target", "here"],
                env={"APEXDB_DSN": "postgresql:///elsewhere?host=/nonexistent"})
    assert r.exit_code == 0, r
    assert r.json["target"]["source"] == "target here"
    # but APEXDB_TARGET (environment) comes after APEXDB_DSN
    r = run_cli(["info", "--format", "json"], env={"APEXDB_DSN": db.dsn, "APEXDB_TARGET": "nope"})
    assert r.exit_code == 0 and r.json["target"]["source"] == "APEXDB_DSN"


def test_info_for_a_role_without_monitoring_rights(db, pg_server):
    db.sql("CREATE ROLE dave LOGIN PASSWORD 'pw-dave'")
    try:
        dsn = f"postgresql://dave:pw-dave@/{db.name}?host={pg_server.socket_dir}&port={pg_server.port}"
        r = run_cli(["info", "--format", "json", "--dsn", dsn])
        assert r.exit_code == 0, r
        assert r.json["server"]["role"] == "dave" and r.json["server"]["has_pg_monitor"] is False
        assert r.json["pg_stat_statements"]["sees_all_users"] is False
    finally:
        db.sql("DROP ROLE dave")


def test_ctrl_c_is_exit_130_with_a_message(apex, monkeypatch):
    import apexdb.ops.info as info_ops

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr(info_ops, "gather_info", interrupted)
    r = apex("info")
    assert r.exit_code == 130
    assert "interrupted" in r.stderr and "Traceback" not in r.stderr
