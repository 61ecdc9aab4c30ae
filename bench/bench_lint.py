"""`apexdb migrate lint` against plain squawk on the same SQL, as whole processes.

Two generated projects (no server needed; ``--pg-version`` pins the rules):

- a folder of 500 .sql migrations (tables, vector columns, HNSW/IVFFlat builds, ALTERs, DO blocks),
  linted by ``apexdb migrate lint FOLDER`` and by ``squawk FOLDER/*.sql``;
- a 150-revision Alembic project, linted by ``apexdb migrate lint --config`` (which renders each
  revision's offline SQL on its own) and, as the baseline, squawk over the same 150 revisions'
  SQL already rendered to files (what a CI job running ``alembic upgrade --sql`` + squawk gets).

The ratio is apexdb's time over squawk's: what parsing with PostgreSQL's parser, the pgvector
rules, the schema history and (for Alembic) rendering every revision cost on top of squawk.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from run import Figure

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _migration(n: int) -> str:
    """One migration of a growing schema: every 5th creates a table, the others change it."""
    table = f"t{n // 5}"
    kind = n % 5
    if kind == 0:
        return (f"CREATE TABLE {table} (id bigint PRIMARY KEY, body text, embedding vector(768));\n"
                f"INSERT INTO {table} (id, body) VALUES (1, 'seed');\n")
    if kind == 1:
        return (f"ALTER TABLE {table} ADD COLUMN title text;\n"
                f"CREATE INDEX CONCURRENTLY {table}_title ON {table} (title);\n")
    if kind == 2:
        return f"CREATE INDEX {table}_emb ON {table} USING hnsw (embedding vector_cosine_ops) WITH (m = 16);\n"
    if kind == 3:
        return ("DO $$\nBEGIN\n  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = '" + table + "_ivf') THEN\n"
                f"    CREATE INDEX {table}_ivf ON {table} USING ivfflat (embedding vector_l2_ops) WITH (lists = 100);\n"
                "  END IF;\nEND $$;\n")
    return (f"ALTER TABLE {table} ALTER COLUMN body SET NOT NULL;\n"
            f"UPDATE {table} SET body = '' WHERE body IS NULL;\n")


def _folder(root: Path, count: int) -> Path:
    folder = root / "sql"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"{n:04d}_m.sql").write_text(_migration(n))
    return folder


ENV_PY = '''from alembic import context
context.configure(url="postgresql://", literal_binds=True, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
'''


def _alembic(root: Path, count: int) -> Path:
    project = root / "alembic"
    versions = project / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    (project / "alembic.ini").write_text(f"[alembic]\nscript_location = {project}\npath_separator = os\n")
    (project / "env.py").write_text(ENV_PY)
    down = None
    for n in range(count):
        rev = f"r{n:04d}"
        sql = _migration(n).replace('"', '\\"')
        body = f'    op.execute("""{sql}""")\n'
        (versions / f"{rev}.py").write_text(
            f'from alembic import op\nrevision = "{rev}"\ndown_revision = {down!r}\n\n\n'
            f"def upgrade() -> None:\n{body}\n\ndef downgrade() -> None:\n    pass\n")
        down = rev
    return project / "alembic.ini"


def _rendered(ini: Path, out: Path, count: int) -> list[str]:
    """Each revision's offline SQL in its own file (the baseline's input), rendered once."""
    from alembic import command
    from alembic.config import Config

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        rev, down = f"r{n:04d}", (f"r{n - 1:04d}" if n else None)
        cfg = Config(str(ini))
        path = out / f"{rev}.sql"
        with path.open("w") as fh:
            cfg.output_buffer = fh
            command.upgrade(cfg, f"{down}:{rev}" if down else rev, sql=True)
        paths.append(str(path))
    return paths


def _squawk() -> str:
    from apexdb.ops.lint.squawk import squawk_binary

    return squawk_binary()


def _findings(argv: list[str]) -> int:
    proc = subprocess.run(argv, capture_output=True, text=True)
    try:
        return len(json.loads(proc.stdout))
    except json.JSONDecodeError:
        return -1


def run(ctx) -> list[Figure]:
    root = ctx.workdir / "lint"
    files, revisions = ctx.size(500, 60), ctx.size(150, 30)
    n = ctx.size(3, 1)
    folder = _folder(root, files)
    sql_files = sorted(str(p) for p in folder.glob("*.sql"))
    squawk = [_squawk(), "--reporter", "json", "--pg-version", "17"]
    lint = [*ctx.apexdb, "migrate", "lint", "--pg-version", "17", "--format", "json"]
    figures = []

    ours = ctx.best_of(n, [*lint, str(folder)])
    theirs = ctx.best_of(n, [*squawk, *sql_files])
    figures.append(Figure("lint", f"migrate lint of {files} .sql files vs squawk on them", ours, theirs, "s",
                          higher_is_better=False, goal="under 10 ms a file", met=ours / files < 0.010,
                          extra={"apexdb_findings": _findings([*lint, str(folder)]),
                                 "squawk_findings": _findings([*squawk, *sql_files])}))

    ini = _alembic(root, revisions)
    rendered = _rendered(ini, root / "rendered", revisions)
    ours = ctx.best_of(n, [*lint, "--config", str(ini)])
    theirs = ctx.best_of(n, [*squawk, *rendered])
    figures.append(Figure("lint", f"migrate lint of a {revisions}-revision Alembic project vs squawk on its "
                                  f"rendered SQL", ours, theirs, "s", higher_is_better=False,
                          goal="under 60 ms a revision, rendering included", met=ours / revisions < 0.060,
                          extra={"per_revision_s": ours / revisions}))
    return figures
