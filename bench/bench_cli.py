"""Start-up and round-trip cost of everyday commands, as whole processes.

Baselines measured in the same run: a bare ``python -c pass`` for ``apexdb --help`` (what the
interpreter alone costs) and ``psql -Atc 'select 1'`` for the commands that talk to the server
(what one libpq round-trip from a fresh process costs).
"""
from __future__ import annotations

import sys

from run import Figure


def run(ctx) -> list[Figure]:
    dsn = ctx.new_database("bench_cli")
    env = {"APEXDB_DSN": dsn}
    psql = str(ctx.server.bin_dir / "psql")
    n = ctx.size(9, 3)
    python = ctx.best_of(n, [sys.executable, "-c", "pass"])
    psql_rt = ctx.best_of(n, [psql, dsn, "-Atc", "select 1"])
    figures = []
    help_s = ctx.best_of(n, [*ctx.apexdb, "--help"], env)
    figures.append(Figure("cli", "apexdb --help vs python -c pass", help_s, python, "s",
                          higher_is_better=False, goal="well under 1 s", met=help_s < 0.5))
    info_s = ctx.best_of(n, [*ctx.apexdb, "info"], env)
    figures.append(Figure("cli", "apexdb info vs psql select 1", info_s, psql_rt, "s",
                          higher_is_better=False, goal="well under 1 s", met=info_s < 0.6))
    audit_s = ctx.best_of(n, [*ctx.apexdb, "audit", "indexes"], env)
    figures.append(Figure("cli", "apexdb audit indexes vs psql select 1", audit_s, psql_rt, "s",
                          higher_is_better=False, goal="under 1 s on a small schema", met=audit_s < 1.0))
    return figures
