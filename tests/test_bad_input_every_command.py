"""Bad input across every command: the documented exit code, one clear line on stderr, no
traceback, and the database exactly as it was (a fingerprint of catalog and data)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from support import catalog_fingerprint, drop_database, new_database, run_cli


UNREACHABLE = "postgresql://u:secret@127.0.0.1:1/db?connect_timeout=1"


@pytest.fixture(scope="module")
def matrix_db(pg_server, tmp_path_factory):
    db = new_database(pg_server)
    db.sql("CREATE TABLE items (id bigint PRIMARY KEY, title text, metadata jsonb, embedding vector(4))")
    db.sql("INSERT INTO items SELECT g, 'item ' || g, jsonb_build_object('g', g % 3), "
           "format('[%s,%s,%s,%s]', g, g % 7, g % 5, 1)::vector FROM generate_series(1, 60) g")
    db.sql("CREATE INDEX items_ann ON items USING hnsw (embedding vector_cosine_ops)")
    db.sql("CREATE TABLE two_vec (id int PRIMARY KEY, a vector(3), b vector(3))")
    db.sql("CREATE TABLE no_index (id int PRIMARY KEY, embedding vector(3))")
    db.sql("INSERT INTO no_index SELECT g, '[1,2,3]' FROM generate_series(1, 20) g")
    db.sql("CREATE SEQUENCE s")
    db.sql("ANALYZE")
    files = tmp_path_factory.mktemp("matrix-files")
    np.save(files / "dim3.npy", np.ones((5, 3), dtype=np.float32))
    np.save(files / "nan.npy", np.array([[1, 2, 3, 4], [np.nan, 0, 0, 0]], dtype=np.float32))
    np.save(files / "good.npy", np.ones((5, 4), dtype=np.float32))
    (files / "empty.npy").write_bytes(b"")
    (files / "ragged.csv").write_text("id,embedding\n1,\"[1,2,3,4]\"\n2,\"[1,2]\"\n")
    (files / "q.json").write_text(json.dumps([1, 2]))
    yield db, files
    drop_database(db)


# (id, argv with {f} for the files folder, expected exit code, a word the message must hold)
CASES = [
    ("unknown-format", ["info", "--format", "yaml"], 2, "format"),
    ("malformed-dsn", ["info", "--dsn", "host=x port"], 2, "DSN"),
    ("unreachable-host", ["info", "--dsn", UNREACHABLE], 3, "connect"),
    ("unknown-target", ["info", "--target", "nope"], 2, "target"),
    ("unknown-command", ["frobnicate"], 2, "frobnicate"),
    ("unknown-option", ["info", "--bogus"], 2, "--bogus"),
    ("index-unknown-table", ["index", "create", "nope", "embedding"], 2, "nope"),
    ("index-unknown-column", ["index", "create", "items", "nope"], 2, "nope"),
    ("index-not-a-vector", ["index", "create", "items", "title"], 2, "title"),
    ("index-m-out-of-range", ["index", "create", "items", "embedding", "--m", "1"], 2, "m"),
    ("index-ef-construction-small", ["index", "create", "items", "embedding", "--ef-construction", "20"], 2,
     "ef-construction"),
    ("index-no-opclass", ["index", "create", "items", "embedding", "--method", "ivfflat", "--metric", "l1"], 2,
     "l1"),
    ("index-unknown-method", ["index", "create", "items", "embedding", "--method", "btree"], 2, "btree"),
    ("index-name-exists", ["index", "create", "items", "embedding", "--name", "items_ann"], 2, "items_ann"),
    ("index-drop-unknown", ["index", "drop", "no_such_index", "--yes"], 2, "no_such_index"),
    ("index-drop-unconfirmed", ["index", "drop", "items_ann"], 2, "--yes"),
    ("load-missing-file", ["load", "items", "{f}/missing.npy"], 2, "missing.npy"),
    ("load-empty-file", ["load", "items", "{f}/empty.npy"], 2, "empty"),
    ("load-wrong-dimension", ["load", "items", "{f}/dim3.npy"], 2, "dimension"),
    ("load-nan", ["load", "items", "{f}/nan.npy"], 2, "NaN"),
    ("load-ragged-rows", ["load", "items", "{f}/ragged.csv"], 2, "ragged"),
    ("load-unknown-table", ["load", "nope", "{f}/good.npy"], 2, "nope"),
    ("search-neither", ["search", "items"], 2, "--like"),
    ("search-both", ["search", "items", "--like", "1", "--vector", "[1,2,3,4]"], 2, "--like"),
    ("search-unknown-id", ["search", "items", "--like", "999999"], 2, "999999"),
    ("search-wrong-dimension", ["search", "items", "--vector", "[1,2]"], 2, "dimension"),
    ("search-malformed-vector", ["search", "items", "--vector", "[1,2,"], 2, "vector"),
    ("search-vector-file-dimension", ["search", "items", "--vector", "@{f}/q.json"], 2, "dimension"),
    ("search-k-zero", ["search", "items", "--like", "1", "--k", "0"], 2, "k"),
    ("search-ef-search-too-big", ["search", "items", "--like", "1", "--ef-search", "1001"], 2, "ef"),
    ("search-two-vector-columns", ["search", "two_vec", "--vector", "[1,2,3]"], 2, "--column"),
    ("search-where-syntax", ["search", "items", "--like", "1", "--where", "id = ("], 2, "syntax"),
    ("search-where-writes", ["search", "items", "--like", "1", "--where", "nextval('s') > 0"], 2, "read-only"),
    ("search-text-without-embedder", ["search", "items", "--text", "hello"], 2, "embedder"),
    ("tune-target-outside", ["tune", "items", "embedding", "--target-recall", "1.5"], 2, "recall"),
    ("tune-k-too-big", ["tune", "items", "embedding", "--k", "1001"], 2, "k"),
    ("tune-no-index", ["tune", "no_index", "embedding"], 2, "index create"),
    ("explain-empty", ["explain", ""], 2, "statement"),
    ("explain-two-statements", ["explain", "select 1; select 2"], 2, "statement"),
    ("explain-syntax-error", ["explain", "selec 1"], 2, "syntax"),
    ("explain-missing-table", ["explain", "select * from nope"], 4, "nope"),
    ("explain-missing-file", ["explain", "-f", "{f}/missing.sql"], 2, "missing.sql"),
    ("stats-bad-sort", ["stats", "queries", "--sort", "bogus"], 2, "bogus"),
    ("stats-negative-limit", ["stats", "queries", "--limit", "-1"], 2, "limit"),
    ("snapshot-without-schema", ["snapshot"], 2, "snapshot init"),
    ("snapshot-init-unconfirmed", ["snapshot", "init"], 2, "--yes"),
    ("snapshot-list-without-schema", ["snapshot", "list"], 2, "snapshot init"),
    ("stats-since-without-schema", ["stats", "queries", "--since", "1d"], 2, "snapshot init"),
    ("stats-growth-without-schema", ["stats", "tables", "--growth", "7d"], 2, "snapshot init"),
    ("stats-since-and-between", ["stats", "queries", "--since", "1d", "--between", "2d", "1d"], 2, "not both"),
    ("stats-progress-interval", ["stats", "progress", "--watch", "--interval", "0"], 2, "interval"),
    ("cancel-nothing-named", ["cancel"], 2, "filter"),
    ("cancel-no-such-pid", ["cancel", "4194305", "--yes"], 2, "4194305"),  # above any pid_max
    ("terminate-bad-duration", ["terminate", "--idle-in-transaction-over", "a while"], 2, "a while"),
    ("terminate-negative-pid", ["terminate", "-5"], 2, "-5"),
    ("audit-bad-fail-on", ["audit", "indexes", "--fail-on", "bogus"], 2, "bogus"),
    ("audit-unknown-threshold", ["audit", "indexes", "--threshold", "nope=1"], 2, "nope"),
    ("vacuum-unknown-table", ["vacuum", "nope"], 2, "nope"),
    ("vacuum-full-unconfirmed", ["vacuum", "items", "--full"], 2, "--yes"),
    ("analyze-unknown-table", ["analyze", "nope"], 2, "nope"),
    ("reindex-unknown-index", ["reindex", "no_such_idx", "--yes"], 2, "no_such_idx"),
    ("reindex-nothing-named", ["reindex"], 2, "index"),
    ("migrate-unknown-revision", ["migrate", "up", "nonexistent_rev"], 2, "nonexistent_rev"),
    ("migrate-down-unconfirmed", ["migrate", "down", "base"], 2, "--yes"),
    ("lint-missing-file", ["migrate", "lint", "{f}/missing.sql"], 2, "missing.sql"),
    ("schema-unknown-table", ["schema", "show", "nope"], 2, "nope"),
    ("report-missing-directory", ["report", "--html", "{f}/no/such/dir/r.html"], 2, "does not exist"),
    ("report-path-is-a-directory", ["report", "--html", "{f}"], 2, "directory"),
    ("report-bad-since", ["report", "--html", "{f}/r.html", "--since", "lately"], 2, "--since"),
]


@pytest.mark.parametrize("case_id,argv,code,word", CASES, ids=[c[0] for c in CASES])
def test_bad_input(matrix_db, case_id, argv, code, word):
    db, files = matrix_db
    before = catalog_fingerprint(db.dsn)
    r = run_cli([a.replace("{f}", str(files)) for a in argv], env={"APEXDB_DSN": db.dsn})
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == code, r
    assert len(lines) == 1, r
    assert "Traceback" not in r.stderr + r.stdout
    assert word.lower() in lines[0].lower(), r
    assert "secret" not in r.stderr + r.stdout
    assert catalog_fingerprint(db.dsn) == before, f"{case_id} changed the database"


def test_the_matrix_is_large_enough():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)
