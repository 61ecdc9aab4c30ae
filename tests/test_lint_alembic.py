"""`apexdb migrate lint` on an Alembic project as real ones are (tests/fixtures/lint_alembic_messy):
env.py prints and falls back to SQLite, an old revision reads the database, another imports a
module that is not installed. Every revision yields findings or a one-line reason, and the head
is linted with the schema the earlier revisions built."""
from __future__ import annotations

from pathlib import Path

from support import lint

MESSY = Path(__file__).parent / "fixtures" / "lint_alembic_messy" / "alembic.ini"
POSTGRES = {"LINT_MESSY_URL": "postgresql://lint@127.0.0.1:1/never_connected"}


def by_source(result) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in result.json:
        out.setdefault(f["source"], []).append(f)
    return out


def test_every_revision_yields_findings_or_a_reason_and_the_head_is_linted():
    result = lint("--config", str(MESSY), "--format", "json", env=POSTGRES)
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result
    found = by_source(result)
    # m02 reads the database in upgrade(): one finding naming its file and why
    (m02,) = found["m02_backfill"]
    assert m02["rule"] == "not-linted" and m02["severity"] == "warning"
    assert "m02_backfill_reads_db.py" in m02["message"] and "reads the database" in m02["message"]
    # m03 imports a module that is not installed: named, not "unexpected ModuleNotFoundError"
    (m03,) = found["m03_missing"]
    assert m03["rule"] == "not-linted" and "m03_needs_missing_module.py could not be imported" in m03["message"]
    assert "apexdb_lint_fixture_missing_module" in m03["message"]
    # the head still gets linted, knowing m01's HNSW index on the column it widens
    head = [f for f in found["m04_head"] if f["rule"] == "vector-index-dimensions"]
    assert len(head) == 1 and "documents_embedding is rebuilt" in head[0]["message"]
    assert "the ALTER fails" in head[0]["message"] and head[0]["severity"] == "critical"
    assert "2 not linted" in result.stderr and "in 4 revisions" in result.stderr


def test_what_env_py_prints_is_not_read_as_sql():
    result = lint("--config", str(MESSY), "m01_base", "--format", "json", env=POSTGRES)
    assert result.exit_code == 0, result
    rules = {f["rule"] for f in result.json}
    assert not {"unparsed-statement", "syntax-error", "not-linted"} & rules
    assert "Using database" not in result.stdout and "Using database" not in result.stderr


def test_a_range_after_a_failing_revision_is_linted_on_its_own():
    result = lint("--config", str(MESSY), "m04_head", "--format", "json", env=POSTGRES)
    assert result.exit_code == 1
    assert {f["source"] for f in result.json} == {"m04_head"}  # the older failures are not reported here
    assert "vector-index-dimensions" in {f["rule"] for f in result.json}


def test_an_env_py_that_falls_back_to_sqlite_is_warned_about():
    result = lint("--config", str(MESSY), "m01_base", "--format", "json")  # unset: env.py picks SQLite
    warned = [f for f in result.json if f["rule"] == "alembic-not-postgresql"]
    assert len(warned) == 1 and warned[0]["severity"] == "warning" and "sqlite" in warned[0]["message"]
    assert result.exit_code == 1
    assert not [f for f in lint("--config", str(MESSY), "m01_base", "--format", "json", env=POSTGRES).json
                if f["rule"] == "alembic-not-postgresql"]


def test_debug_is_accepted_after_migrate_lint():
    result = lint("--config", str(MESSY), "m01_base", "--debug", env=POSTGRES)
    assert result.exit_code == 0, result
    assert "No such option" not in result.stderr


def test_an_env_py_that_fails_offline_is_named_as_the_cause(tmp_path):
    (tmp_path / "versions").mkdir()
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s\npath_separator = os\n")
    (tmp_path / "env.py").write_text("import os\nfrom alembic import context\n"
                                     "context.configure(url=os.environ['LINT_NEEDED_URL'])\n"
                                     "with context.begin_transaction():\n    context.run_migrations()\n")
    (tmp_path / "versions" / "a1.py").write_text("from alembic import op\nrevision = 'a1'\ndown_revision = None\n\n\n"
                                                 "def upgrade():\n    op.execute('SELECT 1')\n")
    result = lint("--config", str(tmp_path / "alembic.ini"), "--format", "json")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    (finding,) = result.json
    assert finding["rule"] == "not-linted" and "env.py failed" in finding["message"]
    assert "LINT_NEEDED_URL" in finding["message"]


def test_a_revision_that_does_not_compile_is_one_finding(tmp_path):
    import shutil

    project = tmp_path / "proj"
    shutil.copytree(MESSY.parent, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "versions" / "m05_broken.py").write_text(
        'from alembic import op\nrevision = "m05_broken"\ndown_revision = "m04_head"\n\n\n'
        'def upgrade() -> None\n    op.execute("SELECT 1")\n')
    result = lint("--config", str(project / "alembic.ini"), "--format", "json", env=POSTGRES)
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result
    found = by_source(result)
    (broken,) = found["m05_broken"]
    assert broken["rule"] == "not-linted" and "SyntaxError" in broken["message"] and "syntax" in broken["fix"]
    assert "vector-index-dimensions" in {f["rule"] for f in found["m04_head"]}  # the rest still linted
