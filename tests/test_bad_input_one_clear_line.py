"""Bad input at the foundation: one clear line on stderr, the documented exit code, no traceback."""
from __future__ import annotations


from support import one_clear_line, run_cli


def test_malformed_dsn_is_bad_input(pg_server):
    r = run_cli(["info", "--dsn", "host=localhost port"])
    assert r.exit_code == 2
    assert "malformed DSN" in one_clear_line(r)


def test_unreachable_host_exits_3(pg_server):
    r = run_cli(["info", "--dsn", "postgresql://u@127.0.0.1:1/db?connect_timeout=2"])
    assert r.exit_code == 3
    assert "cannot connect" in one_clear_line(r)


def test_wrong_password_exits_3_and_is_never_echoed(db, pg_server):
    db.sql("CREATE ROLE alice LOGIN PASSWORD 'right-horse-battery'")
    try:
        dsn = f"postgresql://alice:Sup3rS3cretPw@/{db.name}?host={pg_server.socket_dir}&port={pg_server.port}"
        for extra in ([], ["--debug"]):
            r = run_cli([*extra, "info", "--dsn", dsn])
            assert r.exit_code == 3
            assert "password authentication failed" in r.stderr
            assert "Sup3rS3cretPw" not in r.stderr + r.stdout
            if not extra:
                one_clear_line(r)
    finally:
        db.sql("DROP ROLE alice")


def test_database_that_does_not_exist(pg_server):
    r = run_cli(["info", "--dsn", pg_server.dsn("no_such_db")])
    assert r.exit_code == 3
    assert 'database "no_such_db" does not exist' in one_clear_line(r)


def test_unknown_format(apex):
    r = apex("info", "--format", "yaml")
    assert r.exit_code == 2
    assert "unknown format 'yaml'" in one_clear_line(r)


def test_unknown_target(pg_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "apexdb.toml").write_text('[targets.prod]\ndsn = "postgresql:///x"\n')
    r = run_cli(["info", "--target", "nope"])
    assert r.exit_code == 2
    line = one_clear_line(r)
    assert "unknown target 'nope'" in line and "prod" in line


def test_unwritable_apexdb_home(pg_server):
    r = run_cli(["info"], env={"APEXDB_HOME": "/proc/apexdb-cannot-be-here"})
    assert r.exit_code == 2
    assert "APEXDB_HOME" in one_clear_line(r)


def test_unknown_option_is_usage_error(apex):
    r = apex("info", "--frobnicate")
    assert r.exit_code == 2
    assert "--frobnicate" in one_clear_line(r)
