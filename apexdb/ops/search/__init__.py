"""``apexdb search``: one similarity query, written so the planner can use the ANN index.

The package, in the order a search runs:

- :mod:`.target`  the table, vector column, index and metric to search with (tune uses it too)
- :mod:`.vector`  query vectors from ``--vector``/``@FILE``/``--queries-file``, checked and written as text
- :mod:`.filters` ``--filter COLUMN=VALUE`` (bound) and ``--where`` (checked, run read-only)
- :mod:`.query`   the SQL of the search, ``SET LOCAL`` index settings, ``check_k``
- :mod:`.run`     :func:`run_search`: the whole search for a :class:`SearchRequest`
- :mod:`.recall`  recall of an indexed answer against the exact one (``--compare``, tune)
- :mod:`.explain` ``--explain``: the plan and the vector-index verdict (from
  :mod:`apexdb.ops.explain.vector_diagnosis`, the one diagnosis explain and audit use)
- :mod:`.embedders` ``--text``: the text's embedding from a registered provider (``register_embedder``)

The view is :mod:`apexdb.render.search`; the CLI is :mod:`apexdb.cli.search`.
"""
from apexdb.ops.search.embedders import embed_text, register_embedder
from apexdb.ops.search.explain import PlanVerdict, explain_search
from apexdb.ops.search.recall import recall
from apexdb.ops.search.run import SearchRequest, SearchResult, run_query, run_search
from apexdb.ops.search.target import SearchTarget, resolve_search_target, shown_columns
from apexdb.ops.search.vector import load_query_file, parse_vector_arg, vector_text

__all__ = ["PlanVerdict", "SearchRequest", "SearchResult", "SearchTarget", "embed_text", "explain_search",
           "load_query_file", "parse_vector_arg", "recall", "register_embedder", "resolve_search_target",
           "run_query", "run_search", "shown_columns", "vector_text"]
