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
from apexdb.ops.audit.settings import settings
from apexdb.ops.settings import RULES, MemoryFacts, VectorIndexSize
from apexdb.sql import quote_ident

VECTOR_SETTINGS = {"hnsw.ef_search": "hnsw", "ivfflat.probes": "ivfflat"}


def _finding(check: str, severity: str, obj: str, detail: str, statements: list[str],
             comments: list[str] = ()) -> Finding:
    return Finding(check, severity, obj, detail, "\n".join([*statements, *(f"-- {c}" for c in comments)]),
                   statements=tuple(statements))


def _db(ctx: AuditContext) -> str:
    return quote_ident(ctx.facts.get("database") or "")


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
    access = fetch_one(ctx.conn, "stats_statements_access") or {}
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
    """The server's RAM: the ram_bytes threshold, else the server host's (apexdb.ops.host)."""
    def load():
        from apexdb.ops.host import host_ram

        return ctx.thresholds.ram_bytes or host_ram(ctx.conn)[0]
    return ctx.cached("server_ram", load)


def memory_facts(ctx: AuditContext) -> MemoryFacts:
    """What the memory rules judge, from what this audit has already read."""
    def load():
        indexes = [VectorIndexSize(ix["index_qname"], ix["method"], int(ix["size_bytes"] or 0))
                   for ix in index_catalog(ctx) if ix["method"] in ("hnsw", "ivfflat")]
        return MemoryFacts(settings(ctx), server_ram(ctx), indexes, int(ctx.facts.get("temp_files") or 0),
                           int(ctx.facts.get("temp_bytes") or 0), ctx.thresholds.temp_bytes_warning,
                           ctx.facts.get("database") or "", ctx.facts.get("database_size"))
    return ctx.cached("memory_facts", load)


def _judge(ctx: AuditContext, name: str) -> None:
    """The memory rule's verdict on ``name`` as a finding (nothing when it is fine or needs the RAM)."""
    if name not in settings(ctx):
        return
    verdict = RULES[name](memory_facts(ctx))
    if verdict.status != "ok" and not verdict.needs_ram:
        ctx.add(_finding(name, verdict.status, name, verdict.note, verdict.statements, verdict.comments))


def check_work_mem(ctx: AuditContext) -> None:
    _judge(ctx, "work_mem")


def check_maintenance_work_mem(ctx: AuditContext) -> None:
    _judge(ctx, "maintenance_work_mem")


def check_shared_buffers(ctx: AuditContext) -> None:
    _judge(ctx, "shared_buffers")


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
