"""Configuration checks: pg_stat_statements, memory settings against the guidance, and the
vector search settings against what a tune recorded.

"What a tune found" is read where ``apexdb tune --apply`` writes it: ALTER DATABASE/ROLE
... SET, i.e. pg_db_role_setting. A recorded value that this session does not run with
means something overrides it (a role-level SET, PGOPTIONS); no recorded value and the
setting at its default means nobody tuned it yet (info only: the default can be fine).
"""
from __future__ import annotations

from typing import Any

from apexdb.db.queries import fetch, fetch_one
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.indexes import index_catalog
from apexdb.ops.audit.model import Finding
from apexdb.ops.audit.rebuild import quote_ident
from apexdb.ops.audit.settings import setting_bytes, settings
from apexdb.render.format import human_bytes

MB = 1024 * 1024
VECTOR_SETTINGS = {"hnsw.ef_search": "hnsw", "ivfflat.probes": "ivfflat"}


def _finding(check: str, severity: str, obj: str, detail: str, statements: list[str],
             comments: list[str] = ()) -> Finding:
    return Finding(check, severity, obj, detail, "\n".join([*statements, *(f"-- {c}" for c in comments)]),
                   statements=tuple(statements))


def _db(ctx: AuditContext) -> str:
    return quote_ident(ctx.facts.get("database") or "")


def _mb(n: float) -> str:
    return f"{max(1, int(n // MB))}MB"


def _preloaded(ctx: AuditContext, access: dict[str, Any]) -> bool | None:
    """Whether pg_stat_statements is preloaded; asked of the view itself when the role may not read
    shared_preload_libraries (None: cannot tell)."""
    if access.get("preloaded") is not None:
        return bool(access["preloaded"])
    if not (access.get("created") and access.get("readable")):
        return None
    import psycopg

    try:
        with ctx.conn.transaction():
            fetch_one(ctx.conn, "audit_stat_statements_probe", pgss=(access["schema"], "pg_stat_statements"))
        return True
    except psycopg.errors.ObjectNotInPrerequisiteState:
        return False


def check_pg_stat_statements(ctx: AuditContext) -> None:
    access = fetch_one(ctx.conn, "stat_statements_access") or {}
    preloaded = _preloaded(ctx, access)
    if preloaded is None:
        ctx.note(f"role {ctx.facts.get('role')} may not read shared_preload_libraries: whether "
                 "pg_stat_statements is preloaded was not checked")
        if not access.get("created"):
            ctx.add(_finding("pg_stat_statements_missing", "warning", ctx.facts.get("database") or "",
                             "the pg_stat_statements extension is not created in this database",
                             ["CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"]))
    elif not preloaded:
        row = settings(ctx).get("shared_preload_libraries")
        statements, comments = [], ["then restart the server and run: CREATE EXTENSION pg_stat_statements;"]
        if row is None:  # the current list is hidden from this role: never overwrite it blind
            comments.insert(0, "add pg_stat_statements to shared_preload_libraries (a superuser can see its "
                               "current value)")
        else:
            libraries = [p for p in (x.strip() for x in (row["value"] or "").split(",")) if p]
            wanted = ", ".join(libraries + ["pg_stat_statements"]).replace("'", "''")
            statements = [f"ALTER SYSTEM SET shared_preload_libraries = '{wanted}';"]
        ctx.add(_finding("pg_stat_statements_missing", "warning", "shared_preload_libraries",
                         "pg_stat_statements is not preloaded: no per-query statistics, so slow queries and the "
                         "operators the workload uses cannot be seen", statements, comments))
    elif not access.get("created"):
        ctx.add(_finding("pg_stat_statements_missing", "warning", ctx.facts.get("database") or "",
                         "pg_stat_statements is preloaded but the extension is not created in this database",
                         ["CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"]))
    elif not access.get("readable"):
        ctx.note(f"role {ctx.facts.get('role')} may not read pg_stat_statements (grant pg_read_all_stats)")


def server_ram(ctx: AuditContext) -> int | None:
    """The server's RAM: the ram_bytes threshold, else this machine's when the server runs on it."""
    def load():
        if ctx.thresholds.ram_bytes:
            return ctx.thresholds.ram_bytes
        from apexdb.ops.stats_settings import local_ram, server_is_local

        return local_ram() if server_is_local(ctx.conn) else None
    return ctx.cached("server_ram", load)


def check_work_mem(ctx: AuditContext) -> None:
    work_mem = setting_bytes(ctx, "work_mem")
    if work_mem is None:
        return
    ram = server_ram(ctx)
    connections = int((settings(ctx).get("max_connections") or {}).get("setting") or 0)
    if ram and connections and work_mem * connections > ram:
        guide = ram * 0.25 / connections
        ctx.add(_finding("work_mem", "warning", "work_mem",
                         f"work_mem {human_bytes(work_mem)} x max_connections {connections} = "
                         f"{human_bytes(work_mem * connections)}, more than the server's {human_bytes(ram)} of RAM: "
                         f"busy hours can run it out of memory; the guidance is RAM x 0.25 / max_connections = "
                         f"{human_bytes(guide)}", [f"ALTER SYSTEM SET work_mem = '{_mb(guide)}';",
                                                   "SELECT pg_reload_conf();"],
                         ["raise it per role or per query (SET LOCAL) where a query needs more"]))
        return
    temp = ctx.facts.get("temp_bytes") or 0
    if temp < ctx.thresholds.temp_bytes_warning:
        return
    ctx.add(_finding("work_mem", "warning", "work_mem",
                     f"{ctx.facts.get('temp_files') or 0:,} temporary files ({human_bytes(temp)}) written since the "
                     f"statistics reset: sorts and hashes outgrow work_mem = {human_bytes(work_mem)} and spill to disk",
                     [f"ALTER DATABASE {_db(ctx)} SET work_mem = '{_mb(work_mem * 2)}';"],
                     ["or raise it only for the statements that spill (pg_stat_statements.temp_blks_written); "
                      "each sort or hash of each connection may use work_mem"]))


def _ann_bytes(ctx: AuditContext) -> tuple[int, int]:
    sizes = [ix["size_bytes"] or 0 for ix in index_catalog(ctx) if ix["method"] in ("hnsw", "ivfflat")]
    return sum(sizes), max(sizes, default=0)


def check_maintenance_work_mem(ctx: AuditContext) -> None:
    row = settings(ctx).get("maintenance_work_mem")
    total, largest = _ann_bytes(ctx)
    if not row or not row["at_default"] or not total:
        return
    want = max(1024 * MB, int(largest * 1.25))
    ctx.add(_finding("maintenance_work_mem", "info", "maintenance_work_mem",
                     f"at the default {human_bytes(row['bytes'])} while the database has vector indexes: HNSW and "
                     "IVFFlat builds are much faster when the graph or lists fit in it",
                     [f"ALTER DATABASE {_db(ctx)} SET maintenance_work_mem = '{_mb(want)}';"],
                     ["autovacuum workers use it too unless autovacuum_work_mem is set"]))


def check_shared_buffers(ctx: AuditContext) -> None:
    row = settings(ctx).get("shared_buffers")
    if not row:
        return
    buffers = int(row["bytes"])
    total, _ = _ann_bytes(ctx)
    if total > buffers:
        ctx.add(_finding("shared_buffers", "warning", "shared_buffers",
                         f"vector indexes take {human_bytes(total)} but shared_buffers is {human_bytes(buffers)}: "
                         "ANN searches keep reading pages from the OS cache or disk", [],
                         [f"ALTER SYSTEM SET shared_buffers = '{_mb(total * 1.25)}';  -- then restart; keep it "
                          "near 25% of RAM, and add RAM if the indexes do not fit"]))
    elif (ram := server_ram(ctx)) and buffers < ram * 0.25 / 2:
        ctx.add(_finding("shared_buffers", "info", "shared_buffers",
                         f"{human_bytes(buffers)} is well below the usual starting point of 25% of the server's "
                         f"{human_bytes(ram)} RAM ({human_bytes(ram * 0.25)})", [],
                         [f"ALTER SYSTEM SET shared_buffers = '{_mb(ram * 0.25)}';  -- then restart"]))
    elif row["at_default"] and (ctx.facts.get("database_size") or 0) > buffers:
        ctx.add(_finding("shared_buffers", "info", "shared_buffers",
                         f"at the compiled-in default {human_bytes(buffers)} for a {human_bytes(ctx.facts['database_size'])}"
                         " database; the usual starting point is 25% of the server's RAM", [],
                         ["ALTER SYSTEM SET shared_buffers = '<25% of RAM>';  -- then restart"]))


def check_vector_settings(ctx: AuditContext) -> None:
    current = settings(ctx)
    recorded = [r for r in fetch(ctx.conn, "audit_role_settings") if r["name"] in VECTOR_SETTINGS]
    role = ctx.facts.get("role")
    methods = {ix["method"]: ix for ix in index_catalog(ctx) if ix["is_valid"]}
    for name, method in VECTOR_SETTINGS.items():
        now = current.get(name)
        if now is None or method not in methods:
            continue
        mine = [r for r in recorded if r["name"] == name and r["role"] in ("", role)]
        if mine:
            _compare_recorded(ctx, name, now, mine)
        elif not [r for r in recorded if r["name"] == name] and now["at_default"]:
            ctx.add(_finding("vector_setting", "info", name,
                             f"{name} is at its default {now['value']} and no tuned value is recorded (ALTER "
                             f"DATABASE/ROLE ... SET): run `apexdb tune` to find the value that meets your recall "
                             "target", [], [f"apexdb tune --apply writes ALTER DATABASE {_db(ctx)} SET {name} = ..."]))
        if name == "ivfflat.probes":
            _probes_vs_lists(ctx, int(now["setting"]))


def _compare_recorded(ctx: AuditContext, name: str, now: dict[str, Any], recorded: list[dict[str, Any]]) -> None:
    # The database-wide value is what `apexdb tune --apply` writes; a role-level one comes next.
    # The first recorded value sessions here do not run with is overridden by something.
    order = sorted(recorded, key=lambda r: (r["role"] != "", r["all_databases"]))
    differing = [r for r in order if str(r["value"]) != str(now["setting"])]
    if not differing:
        return
    tuned = differing[0]
    where = (f"role {tuned['role']}" if tuned["role"] else "database") + (
        " in every database" if tuned["all_databases"] else "")
    ctx.add(_finding("vector_setting", "warning", name,
                     f"a tuned {name} = {tuned['value']} is recorded for the {where}, but sessions of role "
                     f"{ctx.facts.get('role')} here run with {now['value']} (source: {now['source']}): something "
                     "overrides the tuned value",
                     [f"ALTER ROLE {quote_ident(ctx.facts.get('role') or '')} IN DATABASE {_db(ctx)} "
                      f"RESET {name};"] if now["source"] == "database user" else [],
                     ["look for ALTER ROLE ... SET, PGOPTIONS or SET in the application's connection setup"]))


def _probes_vs_lists(ctx: AuditContext, probes: int) -> None:
    for ix in index_catalog(ctx):
        if ix["method"] != "ivfflat" or not ix["is_valid"]:
            continue
        lists = int(dict(o.split("=", 1) for o in ix["reloptions"] or []).get("lists", 100))
        if probes >= lists:
            ctx.add(Finding("vector_setting", "warning", ix["index_qname"],
                            f"ivfflat.probes = {probes} is not below lists = {lists}: the planner skips this index "
                            "and scans the table", f"-- lower ivfflat.probes below {lists} (apexdb tune finds the "
                            "value), or rebuild the index with more lists", schema=ix["schema"], table=ix["table"],
                            index=ix["index"]))
