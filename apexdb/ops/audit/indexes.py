"""Index checks: invalid, duplicate and redundant, unused, foreign keys without an index.

All of them work from one catalog-wide read (``audit_index_catalog``) and compare in
Python, so the cost does not grow with one query per table. Each index gets at most
one of these findings, the most specific first: invalid > duplicate/redundant > unused.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding
from apexdb.ops.catalog import btree_index_sql
from apexdb.ops.audit.rebuild import concurrent_definition
from apexdb.ops.audit.settings import row_count
from apexdb.render.format import human_bytes, human_seconds

VECTOR_METHODS = ("hnsw", "ivfflat")


def index_catalog(ctx: AuditContext) -> list[dict[str, Any]]:
    """Every index, except those on relations someone holds an ACCESS EXCLUSIVE lock on (reported apart)."""
    def load():
        rows = [r for r in fetch(ctx.conn, "audit_index_catalog", {"locked": ctx.locked_oids}) if not r["locked"]]
        if ctx.index_usage is not None:  # a cluster: scans summed over every member
            for row in rows:
                ctx.index_usage.merge(row)
        return rows
    return ctx.cached("indexes", load)


def load_definitions(ctx: AuditContext, indexes: list[dict[str, Any]]) -> None:
    """Set ``definition`` (pg_get_indexdef) on ``indexes``, in one query, only for those that lack it.

    Fetched only for the indexes a finding names: on a catalog of thousands of indexes,
    deparsing every one of them would be most of the audit's time.
    """
    missing = [ix for ix in indexes if not ix.get("definition")]
    if not missing:
        return
    found = {r["index_oid"]: r["definition"] for r in fetch(ctx.conn, "audit_index_definitions",
                                                            {"oids": [ix["index_oid"] for ix in missing]})}
    for ix in missing:
        ix["definition"] = found.get(ix["index_oid"]) or ""


def flagged(ctx: AuditContext) -> set[int]:
    """Indexes that already have an index-level finding (so later checks do not pile on)."""
    return ctx.cached("flagged_indexes", set)


def drop_statement(ix: dict[str, Any]) -> str:
    # A partitioned index cannot be dropped CONCURRENTLY.
    concurrently = "" if ix["index_kind"] == "I" else " CONCURRENTLY"
    return f"DROP INDEX{concurrently} {ix['index_qname']};"


def script(statements: list[str], comments: list[str] = ()) -> str:
    return "\n".join([*statements, *(f"-- {c}" for c in comments)])


def _finding(check: str, severity: str, ix: dict[str, Any], detail: str, statements: list[str],
             comments: list[str] = ()) -> Finding:
    return Finding(check, severity, ix["index_qname"], detail, script(statements, comments), schema=ix["schema"],
                   table=ix["table"], index=ix["index"], size_bytes=ix["size_bytes"], statements=tuple(statements))


def check_invalid(ctx: AuditContext) -> None:
    done = flagged(ctx)
    invalid = [ix for ix in index_catalog(ctx) if not ix["is_valid"] and not ix["being_built"]]
    load_definitions(ctx, invalid)
    for ix in invalid:
        done.add(ix["index_oid"])
        size = f", {human_bytes(ix['size_bytes'])}" if ix["size_bytes"] is not None else ""
        state = "still updated by every write" if ix["is_ready"] else "not yet ready"
        if ix["is_unique"]:
            detail = (f"INVALID unique index on {ix['table_qname']} ({state}{size}), left by a failed CREATE UNIQUE "
                      "INDEX CONCURRENTLY: duplicate keys are the usual cause; no build is running now")
            stmts = [drop_statement(ix)]
            comments = ["remove the duplicate keys, then recreate it: " + concurrent_definition(ix["definition"])]
        else:
            detail = (f"INVALID index on {ix['table_qname']} ({state}{size}), left by a failed or cancelled "
                      "concurrent build; no build is running now")
            stmts, comments = [f"REINDEX INDEX CONCURRENTLY {ix['index_qname']};"], []
        ctx.add(_finding("invalid_index", "warning", ix, detail, stmts, comments))


def _keys(ix: dict[str, Any]) -> list[tuple]:
    n = ix["key_count"]
    return [(ix["column_defs"][k], ix["opclass_oids"][k], ix["collations"][k], ix["options_per_column"][k])
            for k in range(n)]


def _includes(ix: dict[str, Any]) -> frozenset[str]:
    return frozenset(ix["column_defs"][ix["key_count"]:])


def _keep_rank(ix: dict[str, Any]) -> tuple:
    """Which of two identical indexes to keep: the constraint's, the unique one, the used one, the older."""
    return (ix["constraint_name"] is not None, ix["is_unique"], ix["scans"] or 0, -ix["index_oid"])


def _droppable(ix: dict[str, Any]) -> bool:
    return ix["constraint_name"] is None and not ix.get("is_partition")


def check_duplicates(ctx: AuditContext) -> None:
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for ix in index_catalog(ctx):
        if ix["is_valid"] and ix["index_oid"] not in flagged(ctx):
            groups[(ix["table_oid"], ix["method"], ix["predicate"] or "")].append(ix)
    done = flagged(ctx)
    found: list[tuple[str, dict[str, Any], str]] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        for a in members:
            for b in members:
                if a is b or b["index_oid"] in done or a["index_oid"] in done:
                    continue
                hit = _compare(a, b)
                if hit:
                    done.add(b["index_oid"])
                    found.append((hit[0], b, hit[1]))
    load_definitions(ctx, [ix for _, ix, _ in found])
    for check, ix, detail in found:
        ctx.add(_finding(check, "warning", ix, detail, [drop_statement(ix)],
                         ["to recreate: " + concurrent_definition(ix["definition"])]))


def _compare(keep: dict[str, Any], other: dict[str, Any]) -> tuple[str, str] | None:
    """(check, detail) when ``keep`` makes ``other`` unnecessary."""
    ka, kb = _keys(keep), _keys(other)
    if ka == kb and _includes(keep) == _includes(other):
        if keep["method"] in VECTOR_METHODS and sorted(keep["reloptions"]) != sorted(other["reloptions"]):
            return None  # same column, different build options: maybe on purpose (comparing m or lists)
        if _keep_rank(keep) < _keep_rank(other) or not _droppable(other) or (
                other["is_unique"] and not keep["is_unique"]):
            return None
        return ("duplicate_index", f"same columns, method, opclasses and predicate as {keep['index_qname']}"
                                   f"{_size(other)}; every write maintains both")
    if (keep["method"] == "btree" and len(kb) < len(ka) and ka[:len(kb)] == kb and not other["is_unique"]
            and _droppable(other) and _includes(other) <= frozenset(keep["column_defs"])):
        return ("redundant_index", f"its columns ({', '.join(k[0] for k in kb)}) lead {keep['index_qname']} "
                                   f"({', '.join(k[0] for k in ka)}), which serves the same queries{_size(other)}")
    return None


def _size(ix: dict[str, Any]) -> str:
    return f"; {human_bytes(ix['size_bytes'])}" if ix["size_bytes"] is not None else ""


def stats_age_text(ctx: AuditContext) -> str:
    if ctx.report.stats_reset is None:
        return "since statistics began (never reset)"
    return f"since the statistics reset {human_seconds(ctx.report.stats_age_s)} ago"


def check_unused(ctx: AuditContext) -> None:
    t = ctx.thresholds
    age = ctx.report.stats_age_s
    young = age is not None and age < t.stats_min_age
    unused = [ix for ix in index_catalog(ctx) if not (
        not ix["is_valid"] or ix["index_oid"] in flagged(ctx) or ix["is_unique"] or ix["constraint_name"]
        or ix["index_kind"] == "I" or ix["is_partition"] or ix["scans"] is None or ix["scans"] > 0
        or ix["size_bytes"] is None or ix["size_bytes"] < t.unused_index_min_bytes)]
    unused = [ix for ix in unused if not _sole_fk_support(ctx, ix)]
    load_definitions(ctx, unused)
    for ix in unused:
        last = ix.get("last_idx_scan")
        detail = (f"0 scans {stats_age_text(ctx)}" + (f" (last scan {last:%Y-%m-%d})" if last else "")
                  + f"; {human_bytes(ix['size_bytes'])} on {ix['table_qname']}")
        if young:
            detail += (f"; statistics are younger than {human_seconds(t.stats_min_age)}, so this may not be "
                       "disuse yet")
        usage = ctx.index_usage
        if usage is None:
            detail += "; replicas keep their own scan counts: check them before dropping"
        elif usage.withheld:  # a member's counts are missing: nobody can prove the index unused
            ctx.add(Finding("unused_index", "info", ix["index_qname"], f"{detail}; {usage.describe(ix)}", "",
                            schema=ix["schema"], table=ix["table"], index=ix["index"],
                            size_bytes=ix["size_bytes"], per_member=usage.scans_of(ix)))
            continue
        else:
            detail += "; " + usage.describe(ix)
        finding = _finding("unused_index", "info" if young else "warning", ix, detail, [drop_statement(ix)],
                           ["to recreate: " + concurrent_definition(ix["definition"])])
        finding.per_member = usage.scans_of(ix) if usage is not None else None
        ctx.add(finding)


def _supports(ix: dict[str, Any], fk: dict[str, Any]) -> bool:
    """Whether ``ix`` serves lookups on the foreign key (its columns lead it, in any order;
    no predicate, or just ``col IS NOT NULL``), as audit_fk_without_index judges it."""
    columns = fk["columns"]
    lead = ix["attnums"][:len(columns)]
    return (ix["is_valid"] and ix["predicate"] in (None, fk["not_null_predicate"])
            and sorted(lead) == sorted(columns))


def _sole_fk_support(ctx: AuditContext, ix: dict[str, Any]) -> bool:
    """An unused index that is the only one behind a foreign key stays: dropping it would make
    every delete on the referenced table scan this one (and the next audit report the key)."""
    def by_table(rows):
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            grouped[row["table_oid"]].append(row)
        return grouped
    fks = ctx.cached("fk_columns", lambda: by_table(fetch(ctx.conn, "audit_fk_columns")))
    siblings = ctx.cached("indexes_by_table", lambda: by_table(index_catalog(ctx)))
    for fk in fks.get(ix["table_oid"], ()):
        if not _supports(ix, fk):
            continue
        others = [o for o in siblings[ix["table_oid"]]  # other indexes of the table, not being dropped
                  if o["index_oid"] != ix["index_oid"] and o["index_oid"] not in flagged(ctx) and _supports(o, fk)]
        if not others:
            return True
    return False


def check_fk_without_index(ctx: AuditContext) -> None:
    for fk in fetch(ctx.conn, "audit_fk_without_index"):
        rows = row_count(fk["table_rows"], fk["live_rows"])
        if rows < ctx.thresholds.fk_min_rows:
            continue
        # CONCURRENTLY is refused on a partitioned table
        statement = btree_index_sql(fk["schema"], fk["table"], fk["columns"], concurrently=not fk["partitioned"],
                                    named=False) + ";"
        ctx.add(Finding(
            "fk_without_index", "warning", f"{fk['table_qname']}.{fk['constraint_name']}",
            f"foreign key ({', '.join(fk['columns'])}) references {fk['referenced']} but no index on "
            f"{fk['table_qname']} (~{rows:,} rows) starts with these columns: each delete or key update on "
            f"{fk['referenced']} scans the table, and joins cannot use an index",
            statement, schema=fk["schema"], table=fk["table"], statements=(statement,)))
