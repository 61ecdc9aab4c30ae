"""Any Alembic project (./alembic.ini or --config), the zero-downtime helpers, and `migrate new`."""
from __future__ import annotations

import shutil
from pathlib import Path

from support import REPO, alembic_version


PROJECT = Path(__file__).parent / "fixtures" / "migrate_project"


def columns(db, table: str) -> dict[str, tuple[str, bool]]:
    return {name: (type_, notnull) for name, type_, notnull in db.sql(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", [table])}


def test_project_from_current_directory(apex, db, monkeypatch):
    monkeypatch.chdir(PROJECT)
    r = apex("migrate", "status", "--format", "json")
    assert r.exit_code == 0, r
    assert r.json["heads"] == ["z7"] and r.json["current"] == []
    assert [p["revision"] for p in r.json["pending"]] == ["z1", "z2", "z3", "z4", "z5", "z6", "z7"]
    r = apex("migrate", "z2", "--format", "json")
    assert r.exit_code == 0, r
    assert [s["revision"] for s in r.json["steps"]] == ["z1", "z2"]
    assert alembic_version(db) == ["z2"]
    assert db.scalar("SELECT count(*) FROM items") == 3000


def test_zero_downtime_helpers_through_a_real_project(apex, db):
    cfg = ["--config", str(PROJECT / "alembic.ini")]
    assert apex("migrate", "z4", *cfg).exit_code == 0
    # create_index_concurrently: a valid index
    assert db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_items_owner_id'::regclass") is True
    # backfill_in_batches + add_not_null: every row filled, NOT NULL set, the helper CHECK gone
    assert db.scalar("SELECT count(*) FROM items WHERE name = 'item ' || id") == 1000
    assert columns(db, "items")["name"] == ("text", True)
    assert db.sql("SELECT conname FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype = 'c'") == []
    # add_foreign_key_not_valid: validated in the end
    assert db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'fk_items_owner'") is True

    # expand: the new column is backfilled and kept in step with writes to the old one
    assert apex("migrate", "z5", *cfg).exit_code == 0
    assert columns(db, "items")["price_new"] == ("numeric(12,2)", False)
    assert db.scalar("SELECT count(*) FROM items WHERE price_new IS DISTINCT FROM price / 100.0") == 0
    db.sql("INSERT INTO items (id, name, owner_id, price) VALUES (5000, 'new', 1, 1234)")
    db.sql("UPDATE items SET price = 999 WHERE id = 1")
    assert db.sql("SELECT id, price_new FROM items WHERE id IN (1, 5000) ORDER BY id") == [
        (1, __import__("decimal").Decimal("9.99")), (5000, __import__("decimal").Decimal("12.34"))]

    # contract: the numeric column has the old name, trigger and function are gone
    r = apex("migrate", *cfg)
    assert r.exit_code == 0, r
    assert alembic_version(db) == ["z7"]
    cols = columns(db, "items")
    assert cols["price"] == ("numeric(12,2)", False) and "price_new" not in cols
    assert db.sql("SELECT tgname FROM pg_trigger WHERE tgrelid = 'items'::regclass AND NOT tgisinternal") == []
    assert db.sql("SELECT proname FROM pg_proc WHERE proname LIKE 'items_price%%'") == []
    assert db.scalar("SELECT price FROM items WHERE id = 5000") == __import__("decimal").Decimal("12.34")
    r = apex("migrate", "check", *cfg)
    assert r.exit_code == 0, r

    # every helper has a working downgrade: back to the start, integer prices restored
    r = apex("migrate", "down", "z4", "--yes", *cfg)
    assert r.exit_code == 0, r
    assert columns(db, "items")["price"] == ("integer", False)
    assert db.scalar("SELECT price FROM items WHERE id = 5000") == 1234
    r = apex("migrate", "down", "base", "--yes", *cfg)
    assert r.exit_code == 0, r
    assert db.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'") == []


def test_offline_sql_of_the_helpers(apex):
    r = apex("migrate", "sql", "z1:z6", "--config", str(PROJECT))
    assert r.exit_code == 0, r
    sql = r.stdout
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_items_owner_id ON items (owner_id)" in sql
    assert "ADD CONSTRAINT items_name_not_null CHECK (name IS NOT NULL) NOT VALID" in sql
    assert "-- apexdb: ignore ban-drop-constraint" in sql  # the helpers say why their own DROPs are safe
    assert "VALIDATE CONSTRAINT fk_items_owner" in sql
    assert "apexdb backfill in batches of 300 by id" in sql
    assert "CREATE TRIGGER items_price_expand_sync" in sql
    assert sql.index("COMMIT") < sql.index("CREATE INDEX CONCURRENTLY")  # outside a transaction


def test_new_revision_and_autogenerate_renders_pgvector_with_its_import(apex, db, tmp_path):
    shutil.copytree(REPO / "alembic", tmp_path / "alembic", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "alembic.ini", tmp_path / "alembic.ini")
    for extra in ("0002_tables.py", "0003_indexes.py", "0004_vector_indexes.py"):
        (tmp_path / "alembic" / "versions" / extra).unlink()
    cfg = ["--config", str(tmp_path / "alembic.ini")]
    assert apex("migrate", *cfg).exit_code == 0
    r = apex("migrate", "new", "-m", "whole schema", "--autogenerate", "--format", "json", *cfg)
    assert r.exit_code == 0, r
    text = Path(r.json["path"]).read_text()
    assert "import pgvector.sqlalchemy" in text
    assert "pgvector.sqlalchemy.VECTOR(dim=1536)" in text
    assert "op.create_table('documents'" in text
    r = apex("migrate", *cfg)  # the generated revision runs as written
    assert r.exit_code == 0, r
    r = apex("migrate", "check", *cfg)
    assert r.exit_code == 0, r
    r = apex("migrate", "new", "-m", "empty one", "--format", "json", *cfg)
    assert r.exit_code == 0, r
    assert r.json["down_revision"] == alembic_version(db)[0]
    assert "def downgrade() -> None:" in Path(r.json["path"]).read_text()
    r = apex("migrate", "new", "-m", "  ", *cfg)
    assert r.exit_code == 2


def test_missing_config_is_bad_input(apex, tmp_path):
    r = apex("migrate", "status", "--config", str(tmp_path / "nope.ini"))
    assert r.exit_code == 2
    assert "no Alembic config" in r.stderr


def test_an_installed_apexdb_migrates_from_its_packaged_copy(db, tmp_path):
    """A wheel carries alembic/ as apexdb/_alembic (pyproject's force-include): mimic that layout."""
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "apexdb", site / "apexdb", ignore=skip)
    shutil.copytree(REPO / "alembic", site / "apexdb" / "_alembic", ignore=skip)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "APEXDB_DSN": db.dsn}
    probe = subprocess.run([sys.executable, "-c", "from apexdb.ops.migrate.project import packaged_script_location "
                            "as p; print(p())"], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == str(site / "apexdb" / "_alembic"), probe.stderr
    proc = subprocess.run([sys.executable, "-m", "apexdb", "migrate", "--format", "json"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert alembic_version(db) == ["0004"]
    proc = subprocess.run([sys.executable, "-m", "apexdb", "migrate", "new", "-m", "x"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "part of the installed package" in proc.stderr
    assert sorted(p.name for p in (site / "apexdb" / "_alembic" / "versions").glob("*.py")) == [
        "0001_extensions.py", "0002_tables.py", "0003_indexes.py", "0004_vector_indexes.py"]


def test_the_helpers_and_apexdb_own_migrations_lint_clean(apex):
    """Every statement a helper writes either passes the linter or carries an ignore with its reason."""
    r = apex("migrate", "lint", "--config", str(PROJECT))
    assert r.exit_code == 0, r
    r = apex("migrate", "lint", "--config", str(REPO / "alembic.ini"))
    assert r.exit_code == 0, r


def test_autogenerate_rendering_of_every_pgvector_type():
    from alembic.autogenerate.api import AutogenContext
    from pgvector.sqlalchemy import BIT, HALFVEC, SPARSEVEC, VECTOR

    from apexdb.ops.migrate.env import render_item

    context = AutogenContext.__new__(AutogenContext)
    context.imports = set()
    rendered = [render_item("type", t, context) for t in (VECTOR(1536), HALFVEC(4000), SPARSEVEC(100), BIT(64))]
    assert rendered == ["pgvector.sqlalchemy.VECTOR(dim=1536)", "pgvector.sqlalchemy.HALFVEC(dim=4000)",
                        "pgvector.sqlalchemy.SPARSEVEC(dim=100)", "pgvector.sqlalchemy.BIT(length=64)"]
    assert context.imports == {"import pgvector.sqlalchemy"}
    import sqlalchemy as sa

    assert render_item("type", sa.Text(), context) is False  # everything else: Alembic's own rendering
