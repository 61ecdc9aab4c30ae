"""``apexdb init``: the extensions the schema needs, then every migration up to head. Idempotent."""
from __future__ import annotations

from dataclasses import dataclass, field

from apexdb.db.connection import server_versions
from apexdb.errors import NotEnabled
from apexdb.ops.migrate.runner import Listener, RunResult, migrate
from apexdb.ops.migrate.safety import SafetySettings
from apexdb.ops.migrate.target import prepare_target


@dataclass
class InitResult:
    target: str
    extensions: list[dict] = field(default_factory=list)
    run: RunResult | None = None


def ensure_extensions(conn, lock_timeout: str = "5s") -> list[dict]:
    """Create pgvector (required) and pg_stat_statements (when preloaded); say what was done."""
    from apexdb.db.queries import fetch, fetch_one

    found = {r["name"]: r for r in fetch(conn, "migrate_extensions")}
    version = server_versions(conn).server_version
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
        if row["installed_version"]:
            out.append({"extension": name, "version": row["installed_version"], "action": "already installed"})
            continue
        if name == "pg_stat_statements" and not row["preloaded"]:
            out.append({"extension": name, "version": None,
                        "action": "skipped: not in shared_preload_libraries"})
            continue
        from psycopg import sql

        with conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))
        installed = fetch_one(conn, "migrate_extension_version", {"name": name})
        out.append({"extension": name, "version": installed["extversion"] if installed else None,
                    "action": "created"})
    return out


def init(config, *, settings: SafetySettings | None = None, listener: Listener | None = None,
         dsn: str | None = None, target_name: str | None = None) -> InitResult:
    settings = settings or SafetySettings.from_config()
    target = prepare_target(config, dsn, target_name)
    extensions: list[dict] = []

    def create_extensions(conn) -> None:  # under the migration lock: two inits do not race
        extensions.extend(ensure_extensions(conn, settings.lock_timeout))

    run = migrate(config, "upgrade", "head", settings=settings, listener=listener, dsn=dsn,
                  target_name=target_name, before=create_extensions)
    return InitResult(target.display, extensions, run)
