"""Smoke test of the SQL registry: every registered query and every variant, run against PostgreSQL 18
(+ pgvector) and Debian's PostgreSQL 15 (no pgvector), with NULL parameter values, each in a transaction
that is rolled back. Variants whose requirement the server meets must work (the resolver's choice
always); those whose ``-- requires:`` the server does not meet must fail with a "does not exist" error.

What a query needs comes from its ``-- requires:`` line, and from pglast: a query that names a pgvector
type, function or distance operator needs pgvector and must fail with a clear "does not exist" error
where pgvector is missing. A base query superseded by a newer variant on this server (e.g. the
pg_stat_statements 1.8 names on 1.11+) is run too, and may fail only on a missing column or relation.
"""
from __future__ import annotations

import string
from collections import defaultdict
from dataclasses import dataclass

import psycopg
import pytest

from apexdb import sql as registry
from apexdb.db.connection import server_versions
from apexdb.ops.catalog import OPERATOR_METRIC

VECTOR_TYPES = {"vector", "halfvec", "sparsevec"}
VECTOR_FUNCTIONS = {"vector_norm", "l2_norm", "l2_distance", "cosine_distance", "inner_product", "l1_distance",
                    "vector_dims", "binary_quantize", "subvector", "l2_normalize", "hamming_distance",
                    "jaccard_distance"}
RENAMED_STATES = ("42703", "42P01", "42883")  # undefined column, relation, function


@dataclass
class Outcome:
    file: str
    needs: list[str]
    role: str  # "picked" (the resolver's choice), "superseded" (an older variant), "unmet" (needs more)
    error: str | None = None
    sqlstate: str | None = None


def identifier_values(pgss_schema: str) -> dict[str, object]:
    return {"view": (pgss_schema, "pg_stat_statements"), "pgss": (pgss_schema, "pg_stat_statements"),
            "reset": (pgss_schema, "pg_stat_statements_reset"), "table": ("public", "smoke_items"),
            "column": "embedding", "norm": "vector_norm", "schema": "public",
            "index": ("public", "smoke_items_embedding_idx"), "history": "apexdb_history",
            "pgss_info": (pgss_schema, "pg_stat_statements_info")}


def identifier_for(field: str, known: dict[str, object]) -> object:
    if field in known:
        return known[field]
    for hint, value in (("schema", "public"), ("column", "embedding"), ("col", "embedding"),
                        ("index", known["index"]), ("table", known["table"]), ("rel", known["table"])):
        if hint in field:
            return value
    raise AssertionError(f"the smoke test has no value for the identifier field {{{field}}}: "
                         "add one to identifier_values()")


def fields_of(text: str) -> list[str]:
    return sorted({name for _, name, _, _ in string.Formatter().parse(text) if name})


def statement_for(query, known):
    identifiers = {f: identifier_for(f, known) for f in fields_of(query.text)}
    statement = registry.compose(query.text, **identifiers) if identifiers else query.text
    params = defaultdict(lambda: None) if "%(" in query.text else None
    return statement, params


def needs_pgvector(conn, statement, params) -> bool:
    """Whether the query names a pgvector type, function or distance operator (read with pglast)."""
    import pglast
    from pglast import ast

    from apexdb.ops.explain.statement import walk

    text = psycopg.ClientCursor(conn).mogrify(statement, params)
    for node in walk(pglast.parse_sql(text)):
        if isinstance(node, ast.TypeName) and node.names[-1].sval in VECTOR_TYPES:
            return True
        if isinstance(node, ast.FuncCall) and node.funcname[-1].sval in VECTOR_FUNCTIONS:
            return True
        if isinstance(node, ast.A_Expr) and node.name and getattr(node.name[-1], "sval", None) in OPERATOR_METRIC:
            return True
    return False


def met(requires, versions) -> bool:
    if requires is None:
        return True
    have = versions.get(requires[0])
    return have is not None and tuple(have) >= requires[1]


def run_everything(database) -> list[Outcome]:
    with database.connect() as conn:
        versions = server_versions(conn)
        has_vector = versions.get("vector") is not None
        column = "vector(3)" if has_vector else "real[]"
        conn.execute(f"CREATE TABLE smoke_items (id bigint PRIMARY KEY, title text, embedding {column})")
        conn.execute("INSERT INTO smoke_items VALUES (1, 'a', '[1,2,3]'), (2, 'b', NULL)" if has_vector else
                     "INSERT INTO smoke_items VALUES (1, 'a', '{1,2,3}'), (2, 'b', NULL)")
        index = "USING hnsw (embedding vector_l2_ops)" if has_vector else "(title)"
        conn.execute(f"CREATE INDEX smoke_items_embedding_idx ON smoke_items {index}")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")  # audit_pgstattuple_approx calls it
        from apexdb.ops.history import install

        install(conn, "apexdb_history")  # the history_* queries read and write its tables
        schema = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                              "WHERE e.extname = 'pg_stat_statements'").fetchone()[0]
        known = identifier_values(schema)
        outcomes = []
        for name in registry.names():
            picked = registry.get(name, versions)
            for query in registry.variants(name):
                statement, params = statement_for(query, known)
                needs = [f"{query.requires[0]} >= {'.'.join(map(str, query.requires[1]))}"] if query.requires else []
                if needs_pgvector(conn, statement, params):
                    needs.append("pgvector")
                if "hypopg_" in query.text and versions.get("hypopg") is None:
                    needs.append("hypopg")  # optional (audit queries verifies with it when installed)
                role = "picked" if query.file == picked.file else "superseded"
                if not met(query.requires, versions):
                    role = "unmet"  # run anyway: it must fail, with a "does not exist" error
                outcome = Outcome(query.file, needs, role)
                try:
                    with conn.transaction(force_rollback=True):
                        conn.execute("SET LOCAL statement_timeout = '30s'")
                        cursor = conn.execute(statement, params)
                        if cursor.description:
                            cursor.fetchall()
                except psycopg.Error as exc:
                    outcome.error = (exc.diag.message_primary or str(exc)).strip()
                    outcome.sqlstate = exc.sqlstate
                outcomes.append(outcome)
        return outcomes, has_vector


def problems(outcomes, has_vector) -> list[str]:
    out = []
    for o in outcomes:
        if o.role == "unmet":
            if o.error is None:
                out.append(f"{o.file}: ran on a server without {', '.join(o.needs)}: its requires line is wrong")
            elif o.sqlstate not in RENAMED_STATES + ("42704",) or "does not exist" not in o.error:
                out.append(f"{o.file}: on a server without {', '.join(o.needs)} failed unclearly: "
                           f"{o.error} [{o.sqlstate}]")
            continue
        vector_missing = "pgvector" in o.needs and not has_vector
        if vector_missing:
            if o.error is None:
                out.append(f"{o.file}: needs pgvector but ran without it (is the detection wrong?)")
            elif o.sqlstate not in ("42704", "42883") or "does not exist" not in o.error:
                out.append(f"{o.file}: without pgvector failed unclearly: {o.error} [{o.sqlstate}]")
            continue
        if "hypopg" in o.needs and o.sqlstate in ("42883", "3F000") and "does not exist" in (o.error or ""):
            continue
        if o.error is None:
            continue
        if o.role == "superseded" and o.sqlstate in RENAMED_STATES:
            continue  # a newer variant serves this server
        out.append(f"{o.file} ({o.role}): {o.error} [{o.sqlstate}]")
    return out


def test_every_registered_query_runs(any_db):
    outcomes, has_vector = run_everything(any_db)
    found = problems(outcomes, has_vector)
    assert not found, "\n".join(found)
    ran = [o for o in outcomes if o.role != "unmet"]
    assert len(ran) >= len(registry.names()) - 2  # nearly every base query runs on both servers
    files = {o.file for o in ran}
    assert "stats_statements" in files or "stats_statements_111" in files
    if has_vector:
        assert all(o.error is None for o in ran if o.role == "picked" and "hypopg" not in o.needs), \
            [o for o in ran if o.error]
        assert any(o.file == "stats_statements_111" and o.role == "picked" for o in ran)
    else:
        # Debian's PostgreSQL 15: no pgvector, pg_stat_statements 1.10 -> the 1.8 names
        assert any(o.file == "stats_statements" and o.role == "picked" and o.error is None for o in ran)
        vector_queries = [o for o in ran if "pgvector" in o.needs]
        assert vector_queries and all(o.error for o in vector_queries)


def test_requirements_are_read_from_the_files():
    variants = {q.file: q for name in registry.names() for q in registry.variants(name)}
    assert variants["stats_statements_111"].requires == ("pg_stat_statements", (1, 11))
    assert variants["stats_tables_16"].requires == ("server", (16,))
    assert variants["stats_statements"].requires is None
    for query in variants.values():
        assert query.description, f"{query.file}.sql has no description on its first line"


@pytest.mark.parametrize("text,expected", [
    ("SELECT NULL::vector IS NULL", True),
    ("SELECT embedding <=> '[1]' FROM t", True),
    ("SELECT vector_norm(e) FROM t", True),
    ("SELECT typname FROM pg_type WHERE typname IN ('vector', 'halfvec')", False),
    ("SELECT current_setting('hnsw.ef_search', true)", False),
])
def test_pgvector_detection(db, text, expected):
    with db.connect() as conn:
        assert needs_pgvector(conn, text, None) is expected
