"""Vector (and other) indexes: plan, size, build, list and drop.

Public API:

- ``plan.IndexRequest`` (keyword arguments) and ``plan.plan_index(conn, request)`` -> ``IndexPlan``:
  the checked request (table, column, opclass, options, name, predicate, concurrency);
- ``sizing.size_build(conn, plan, memory=, workers=)`` -> ``BuildSettings``: maintenance_work_mem
  and parallel workers for this build;
- ``build.open_build_connection(target, sizing)`` and ``build.build_index(conn, monitor_conn, plan,
  sizing, on_progress=)`` -> ``BuildResult``: the build, its progress (apexdb.db.progress, kind
  ``create_index``), retries (apexdb.db.retry) and nothing left INVALID;
- ``listing.list_indexes(conn, table, vector_only=)`` -> ``[IndexInfo]``; ``listing.plan_drop`` and
  ``listing.drop`` (DROP INDEX CONCURRENTLY, retried like a build).

Their view is ``apexdb.render.index``; the SQL is ``apexdb/sql/index_*.sql``.
"""
from apexdb.ops.index.build import BuildResult, build_index, drop_index, open_build_connection
from apexdb.ops.index.listing import DropPlan, IndexInfo, drop, list_indexes, plan_drop
from apexdb.ops.index.plan import IndexPlan, IndexRequest, plan_index
from apexdb.ops.index.sizing import BuildSettings, size_build

__all__ = ["BuildResult", "BuildSettings", "DropPlan", "IndexInfo", "IndexPlan", "IndexRequest", "build_index",
           "drop", "drop_index", "list_indexes", "open_build_connection", "plan_drop", "plan_index", "size_build"]
