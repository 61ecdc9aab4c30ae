"""Security: hostile names stay names, secrets stay secret, user SQL cannot write."""
from __future__ import annotations

import json

import numpy as np

from support import run_cli


HOSTILE = 'x; drop table y'


def test_hostile_table_name_is_only_ever_a_name(db, tmp_path):
    db.sql('CREATE TABLE y (id int PRIMARY KEY)')
    db.sql('INSERT INTO y VALUES (1), (2)')
    db.sql(f'CREATE TABLE "{HOSTILE}" (id bigint PRIMARY KEY, title text, embedding vector(3))')
    np.save(tmp_path / "v.npy", np.random.default_rng(1).random((200, 3), dtype=np.float32))
    env = {"APEXDB_DSN": db.dsn}
    commands = [
        ["load", HOSTILE, str(tmp_path / "v.npy")],
        ["index", "create", HOSTILE, "embedding", "--name", "hostile; drop table y"],
        ["index", "list", HOSTILE],
        ["search", HOSTILE, "--like", "1", "--k", "3"],
        ["search", HOSTILE, "--like", "1", "--filter", "title=1'; drop table y; --"],
        ["analyze", HOSTILE],
        ["vacuum", HOSTILE],
        ["reindex", "--table", HOSTILE, "--yes"],
        ["schema", "show", HOSTILE],
        ["stats", "tables"],
        ["audit", "all", "--format", "json"],
        ["explain", f'SELECT * FROM "{HOSTILE}" ORDER BY embedding <=> \'[1,1,1]\' LIMIT 3'],
    ]
    for argv in commands:
        r = run_cli(argv, env=env)
        assert r.exit_code in (0, 1), (argv, r)
        assert db.scalar("SELECT count(*) FROM y") == 2, argv
    assert db.scalar(f'SELECT count(*) FROM "{HOSTILE}"') == 200
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'hostile; drop table y'") == 1


def test_passwords_never_appear_even_under_debug(db, pg_server):
    secret = "Tr0ub4dor&3-horse"
    db.sql(f"CREATE ROLE carol LOGIN PASSWORD '{secret}' IN ROLE pg_monitor")
    try:
        good = f"postgresql://carol:{secret}@/{db.name}?host={pg_server.socket_dir}&port={pg_server.port}"
        bad = good.replace(secret, secret + "x")
        kv = f"host={pg_server.socket_dir} port={pg_server.port} dbname={db.name} user=carol password={secret}"
        runs = [
            run_cli(["info", "--dsn", good]),
            run_cli(["info", "--dsn", good, "--format", "json"]),
            run_cli(["info", "--dsn", kv, "--format", "json"]),
            run_cli(["--debug", "info", "--dsn", bad]),
            run_cli(["--debug", "explain", "select * from nope", "--dsn", good]),
            run_cli(["audit", "indexes", "--dsn", good, "--format", "json"]),
        ]
        for r in runs:
            assert secret not in r.stdout + r.stderr, r
        assert runs[0].exit_code == 0 and "carol:***@" in runs[0].stdout
        assert json.loads(runs[2].stdout)["target"]["dsn"].count("***") == 1
        assert runs[3].exit_code == 3 and "Traceback" in runs[3].stderr  # --debug shows it, masked
    finally:
        db.sql("DROP ROLE carol")


def test_user_sql_cannot_change_data(db):
    db.sql("CREATE TABLE t (id int PRIMARY KEY, embedding vector(2))")
    db.sql("INSERT INTO t SELECT g, '[1,2]' FROM generate_series(1, 10) g")
    env = {"APEXDB_DSN": db.dsn}
    r = run_cli(["explain", "--analyze", "DELETE FROM t"], env=env)
    assert r.exit_code in (0, 1), r
    r = run_cli(["explain", "--analyze", "UPDATE t SET id = id + 100"], env=env)
    assert r.exit_code in (0, 1), r
    r = run_cli(["search", "t", "--vector", "[1,2]", "--exact", "--where", "(SELECT count(*) FROM t) > 0"], env=env)
    assert r.exit_code == 0, r
    assert db.scalar("SELECT count(*) FROM t WHERE id <= 10") == 10
