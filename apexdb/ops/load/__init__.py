"""Loading files into tables at COPY speed (``apexdb load``), and the one reader of vector files.

Public API:

- :class:`LoadRequest`, :func:`plan_load` (open and check, nothing written),
  :func:`load` (COPY BINARY, then ANALYZE) -> :class:`LoadResult`
- :func:`open_source`: any loadable file as a stream of Arrow record batches
- :func:`read_query_vectors`: every vector of such a file as float32 (n, dims), for
  ``search --vector @FILE`` and ``tune --queries FILE``

Modules: readers (formats), numpy_files, text_files, vectors (vector columns), mapping
(fields to columns, ``--create``), columns and per_value (values to COPY BINARY), binary
(row assembly), copy (the COPY), run (plan, transaction, ANALYZE).
"""
from apexdb.ops.load.readers import FORMATS, Source, open_source
from apexdb.ops.load.run import LoadPlan, LoadRequest, LoadResult, load, plan_load
from apexdb.ops.load.vectors import read_query_vectors

__all__ = ["FORMATS", "LoadPlan", "LoadRequest", "LoadResult", "Source", "load", "open_source", "plan_load",
           "read_query_vectors"]
