"""Schema checks on the live catalog: keys, foreign keys, constraints, triggers, comments.

Foreign keys are read once (``audit_schema_foreign_keys``) and compared in Python:
duplicated, intersected, type mismatches and nullable multi-column keys. Column types
that cause trouble are in ``column_types``. Extension-owned tables are never judged.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from apexdb.db.queries import fetch
from apexdb.ops.audit.context import AuditContext
from apexdb.ops.audit.model import Finding


def _table_finding(check: str, severity: str, row: dict[str, Any], obj: str, detail: str,
                   statements: list[str] = (), comments: list[str] = ()) -> Finding:
    fix = "\n".join([*statements, *(f"-- {c}" for c in comments)])
    return Finding(check, severity, obj, detail, fix, schema=row["schema"], table=row["table"],
                   statements=tuple(statements))


def check_primary_keys(ctx: AuditContext) -> None:
    from apexdb.ops.history.schema import history_schema

    own = history_schema()  # apexdb's history: its UNLOGGED staging tables are emptied at each snapshot
    for t in fetch(ctx.conn, "audit_schema_tables", {"comments": False}):
        if t["has_primary_key"] or (t["schema"] == own and t["table"].startswith("stage_")):
            continue
        hint = ("a UNIQUE index on NOT NULL columns exists: promote it with ALTER TABLE ... ADD CONSTRAINT ... "
                "PRIMARY KEY USING INDEX" if t["has_unique_not_null"] else
                "add an identity column, or make the natural key the primary key")
        ctx.add(_table_finding(
            "table_without_primary_key", "warning", t, t["table_qname"],
            f"no primary key (~{t['table_rows']:,} rows): rows cannot be addressed one by one, logical replication "
            "cannot replicate its UPDATEs and DELETEs, and duplicates go unnoticed",
            comments=[hint, f"ALTER TABLE {t['table_qname']} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY "
                            "PRIMARY KEY;  -- rewrites the table under an ACCESS EXCLUSIVE lock"]))


def check_comments(ctx: AuditContext) -> None:
    """Off by default: tables and columns without COMMENT ON."""
    for t in fetch(ctx.conn, "audit_schema_tables", {"comments": True}):
        missing = ([] if t["has_comment"] else ["the table"]) + list(t["uncommented_columns"])
        if not missing:
            continue
        ctx.add(_table_finding(
            "missing_comment", "info", t, t["table_qname"],
            f"no COMMENT on {', '.join(missing[:12])}{' and more' if len(missing) > 12 else ''}",
            comments=[f"COMMENT ON TABLE {t['table_qname']} IS '...';"]))


def _fk_name(fk: dict[str, Any]) -> str:
    return f"{fk['table_qname']}.{fk['constraint_name']}"


def _pairs(fk: dict[str, Any]) -> frozenset[tuple[int, int]]:
    return frozenset(zip(fk["attnums"], fk["referenced_attnums"]))


def _drop_constraint(fk: dict[str, Any]) -> str:
    from apexdb.ops.audit.rebuild import quote_ident

    return f"ALTER TABLE {fk['table_qname']} DROP CONSTRAINT {quote_ident(fk['constraint_name'])};"


def check_foreign_keys(ctx: AuditContext) -> None:
    """Duplicated and intersected foreign keys, type mismatches, nullable multi-column keys."""
    by_pair: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    fks = fetch(ctx.conn, "audit_schema_foreign_keys")
    for fk in fks:
        by_pair[(fk["table_oid"], fk["referenced_oid"])].append(fk)
    for group in by_pair.values():
        _compare_group(ctx, group)
    for fk in fks:
        _check_types(ctx, fk)
        _check_nullable(ctx, fk)


def _compare_group(ctx: AuditContext, group: list[dict[str, Any]]) -> None:
    dropped: set[int] = set()
    for i, keep in enumerate(group):
        for other in group[i + 1:]:
            if keep["constraint_oid"] in dropped or other["constraint_oid"] in dropped:
                continue
            a, b = _pairs(keep), _pairs(other)
            if a == b:
                dropped.add(other["constraint_oid"])
                ctx.add(_table_finding(
                    "duplicate_foreign_key", "warning", other, _fk_name(other),
                    f"same columns ({', '.join(other['columns'])}) and referenced key as {keep['constraint_name']}: "
                    f"every write to {other['table_qname']} and {other['referenced_qname']} checks both",
                    [_drop_constraint(other)]))
            elif a & b:
                common = sorted({keep["columns"][keep["attnums"].index(x)] for x, _ in a & b})
                ctx.add(_table_finding(
                    "intersected_foreign_key", "warning", other, _fk_name(other),
                    f"columns ({', '.join(other['columns'])}) overlap {keep['constraint_name']} "
                    f"({', '.join(keep['columns'])}) on {', '.join(common)}, both referencing "
                    f"{other['referenced_qname']}: one of them is usually a mistake",
                    comments=[f"drop the one you do not mean: {_drop_constraint(other)}"]))


def _check_types(ctx: AuditContext, fk: dict[str, Any]) -> None:
    pairs = [(c, t, rc, rt) for c, t, t_oid, rc, rt, rt_oid in zip(
        fk["columns"], fk["types"], fk["type_oids"], fk["referenced_columns"], fk["referenced_types"],
        fk["referenced_type_oids"]) if t_oid != rt_oid]
    if not pairs:
        return
    from apexdb.ops.audit.rebuild import quote_ident

    detail = "; ".join(f"{c} is {t} but {fk['referenced_qname']}.{rc} is {rt}" for c, t, rc, rt in pairs)
    alters = ", ".join(f"ALTER COLUMN {quote_ident(c)} TYPE {rt}" for c, _, _, rt in pairs)
    ctx.add(_table_finding(
        "fk_type_mismatch", "warning", fk, _fk_name(fk),
        f"{detail}: every check of the key casts, and a narrower column cannot hold every referenced value",
        comments=[f"ALTER TABLE {fk['table_qname']} {alters};  -- rewrites the table under an ACCESS EXCLUSIVE lock"]))


def _check_nullable(ctx: AuditContext, fk: dict[str, Any]) -> None:
    if len(fk["columns"]) < 2 or fk["match_type"] == "f" or not any(fk["nullable"]):
        return
    from apexdb.ops.audit.rebuild import quote_ident

    nullable = [c for c, n in zip(fk["columns"], fk["nullable"]) if n]
    ctx.add(_table_finding(
        "fk_nullable_columns", "warning", fk, _fk_name(fk),
        f"multi-column foreign key ({', '.join(fk['columns'])}) with nullable {', '.join(nullable)}: under MATCH "
        "SIMPLE a row with any of them NULL is never checked, so half-filled keys point nowhere",
        comments=[f"ALTER TABLE {fk['table_qname']} "
                  + ", ".join(f"ALTER COLUMN {quote_ident(c)} SET NOT NULL" for c in nullable) + ";",
                  "or recreate the key with MATCH FULL"]))


def check_not_valid(ctx: AuditContext) -> None:
    from apexdb.ops.audit.rebuild import quote_ident

    kinds = {"c": "CHECK", "f": "FOREIGN KEY", "n": "NOT NULL"}
    for con in fetch(ctx.conn, "audit_schema_not_valid"):
        statement = f"ALTER TABLE {con['table_qname']} VALIDATE CONSTRAINT {quote_ident(con['constraint_name'])};"
        ctx.add(_table_finding(
            "not_valid_constraint", "warning", con, f"{con['table_qname']}.{con['constraint_name']}",
            f"{kinds.get(con['constraint_type'], con['constraint_type'])} constraint created NOT VALID and never "
            f"validated ({con['definition']}): rows written before it may break it, and the planner cannot rely "
            "on it", [statement], ["VALIDATE takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on"]))


def check_disabled_triggers(ctx: AuditContext) -> None:
    from apexdb.ops.audit.rebuild import quote_ident

    internal_done: set[str] = set()
    for trg in fetch(ctx.conn, "audit_schema_disabled_triggers"):
        if trg["internal"]:
            if trg["table_qname"] in internal_done:
                continue
            internal_done.add(trg["table_qname"])
            ctx.add(_table_finding(
                "disabled_trigger", "critical", trg, f"{trg['table_qname']} (internal triggers)",
                "internal triggers are disabled (ALTER TABLE ... DISABLE TRIGGER ALL): foreign keys on or to this "
                "table are not enforced", [f"ALTER TABLE {trg['table_qname']} ENABLE TRIGGER ALL;"],
                ["rows written meanwhile may violate the keys: check them before relying on them"]))
            continue
        ctx.add(_table_finding(
            "disabled_trigger", "warning", trg, f"{trg['table_qname']}.{trg['trigger']}",
            f"trigger {trg['trigger']} on {trg['table_qname']} is disabled: whatever it maintains is stale",
            [f"ALTER TABLE {trg['table_qname']} ENABLE TRIGGER {quote_ident(trg['trigger'])};"]))
