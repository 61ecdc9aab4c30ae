"""The demo corpus: a deterministic sample table for ``apexdb load --demo``, the docs and the benches.

- :mod:`.corpus` :func:`corpus` (the rows: clustered unit vectors, one centre per category, the same
  rows for the same seed) and :func:`write_corpus` (them as a JSON Lines file ``load`` reads).

``apexdb demo`` (:mod:`apexdb.cli.demo`) runs the README's tour on a throwaway server.
"""
from apexdb.ops.demo.corpus import CATEGORIES, DEMO_DIMS, DEMO_ROWS, DEMO_SEED, corpus, write_corpus

__all__ = ["CATEGORIES", "DEMO_DIMS", "DEMO_ROWS", "DEMO_SEED", "corpus", "write_corpus"]
