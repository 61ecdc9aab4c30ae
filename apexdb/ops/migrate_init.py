"""``apexdb init``: the extensions the schema needs, then every migration up to head. Idempotent."""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.errors import NotEnabled
from apexdb.ops.migrate_runner import Listener, RunResult, migrate
from apexdb.ops.migrate_safety import SafetySettings
from apexdb.ops.migrate_target import prepare_target


@dataclass
class InitResult:
    target: str
    extensions: list[dict] = field(default_factory=list)
    run: RunResult | None = None


def ensure_extensions(conn) -> list[dict]:
    """Create pgvector (required) and pg_stat_statements (when preloaded); say what was done."""
    rows = conn.execute(
        "SELECT a.name, a.installed_version, a.default_version, "
        "current_setting('shared_preload_libraries') ~ 'pg_stat_statements' AS preloaded, "
        "current_setting('server_version') "
        "FROM pg_available_extensions a WHERE a.name IN ('vector', 'pg_stat_statements')").fetchall()
    found = {r[0]: r for r in rows}
    version = conn.execute("SELECT current_setting('server_version')").fetchone()[0]
    if "vector" not in found:
        raise NotEnabled(f"the vector extension (pgvector) is not available on this server (PostgreSQL {version}); "
                         "nothing was changed",
                         hint="install pgvector on the server: https://github.com/pgvector/pgvector#installation")
    out = []
    for name in ("vector", "pg_stat_statements"):
        row = found.get(name)
        if row is None:
            out.append({"extension": name, "version": None, "action": "not available on this server"})
            continue
        if row[1]:
            out.append({"extension": name, "version": row[1], "action": "already installed"})
            continue
        if name == "pg_stat_statements" and not row[3]:
            out.append({"extension": name, "version": None,
                        "action": "skipped: not in shared_preload_libraries"})
            continue
        with conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', '5s', true)")
            conn.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")  # name from the fixed list above
        installed = conn.execute("SELECT extversion FROM pg_extension WHERE extname = %s", [name]).fetchone()
        out.append({"extension": name, "version": installed[0] if installed else None, "action": "created"})
    return out


def init(config, *, settings: SafetySettings | None = None, listener: Listener | None = None,
         dsn: str | None = None, target_name: str | None = None) -> InitResult:
    from apexdb.db.connection import connect

    target = prepare_target(config, dsn, target_name)
    conn = connect(target, application_name="apexdb init")
    try:
        extensions = ensure_extensions(conn)
    finally:
        conn.close()
    run = migrate(config, "upgrade", "head", settings=settings, listener=listener, dsn=dsn,
                  target_name=target_name)
    return InitResult(target.display, extensions, run)
