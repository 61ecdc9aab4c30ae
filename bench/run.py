"""Run every benchmark and print their ratios, each measured against a baseline in the same run.

    .venv/bin/python bench/run.py            # everything, full sizes
    .venv/bin/python bench/run.py --quick    # small sizes, to check the benches themselves
    .venv/bin/python bench/run.py --only load --only index

Each ``bench/bench_*.py`` has ``run(ctx) -> list[Figure]``. Benchmarks start their own
throwaway embedded server (in a temporary APEXDB_HOME), never the user's. Results are
printed as a table and written to ``bench/results/<timestamp>.json``.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


@dataclass
class Figure:
    bench: str  # the benchmark it belongs to ("load", "index", ...)
    name: str  # what was compared ("apexdb load vs raw COPY")
    value: float  # apexdb's figure
    baseline: float  # the baseline's figure, measured in the same run
    unit: str  # "rows/s", "s", "recall"
    higher_is_better: bool = True
    goal: str = ""  # the target the issue sets ("ratio >= 0.8")
    met: bool | None = None  # whether the goal was met
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


class Context:
    """What a benchmark gets: sizes, a private embedded server, whole-process timing."""

    def __init__(self, quick: bool, workdir: Path):
        self.quick = quick
        self.workdir = workdir
        self.apexdb = [str(Path(sys.executable).parent / "apexdb")]
        if not Path(self.apexdb[0]).exists():
            self.apexdb = [sys.executable, "-m", "apexdb"]
        self._server = None

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    @property
    def server(self):
        if self._server is None:
            from apexdb.db.embedded import EmbeddedServer

            home = self.workdir / "home"
            os.environ["APEXDB_HOME"] = str(home)
            for var in ("APEXDB_DSN", "DATABASE_URL", "PGHOST", "PGSERVICE", "PGDATABASE"):
                os.environ.pop(var, None)
            self._server = EmbeddedServer(home, extra_settings={"max_connections": "200"})
            self._server.ensure_running()
        return self._server

    def new_database(self, name: str) -> str:
        """A fresh database (vector and pg_stat_statements created); its DSN."""
        import psycopg

        with psycopg.connect(self.server.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE apexdb')
        return self.server.dsn(name)

    def timed(self, argv: list[str], env: dict | None = None, check: bool = True) -> float:
        """Wall seconds of a whole process (start to exit)."""
        started = time.perf_counter()
        proc = subprocess.run(argv, env={**os.environ, **(env or {})}, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if check and proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
        return elapsed

    def best_of(self, n: int, argv: list[str], env: dict | None = None) -> float:
        """The median wall time of ``n`` runs (after one warm-up)."""
        self.timed(argv, env)
        times = sorted(self.timed(argv, env) for _ in range(n))
        return times[len(times) // 2]

    def close(self) -> None:
        if self._server is not None:
            try:
                self._server.stop()
            except Exception:
                pass


def discover(only: list[str]) -> list:
    modules = []
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append((name, module))
    return modules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the benches run)")
    parser.add_argument("--only", action="append", default=[], help="run only this bench (repeatable)")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where the JSON goes")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="apexdb-bench-"))
    ctx = Context(args.quick, workdir)
    figures: list[Figure] = []
    failures: list[str] = []
    try:
        for name, module in discover(args.only):
            print(f"== {name}", file=sys.stderr, flush=True)
            try:
                figures.extend(module.run(ctx))
            except Exception as exc:  # one broken bench must not hide the others' figures
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
                print(f"   failed: {exc}", file=sys.stderr, flush=True)
    finally:
        ctx.close()
        shutil.rmtree(workdir, ignore_errors=True)

    from tabulate import tabulate

    rows = []
    for f in figures:
        ratio = f.ratio
        rows.append([f.bench, f.name, f"{f.value:.4g} {f.unit}", f"{f.baseline:.4g} {f.unit}",
                     f"{ratio:.2f}" if ratio is not None else "", f.goal,
                     "" if f.met is None else ("yes" if f.met else "NO")])
    print(tabulate(rows, headers=["bench", "comparison", "apexdb", "baseline", "ratio", "goal", "met"]))
    for failure in failures:
        print(f"FAILED {failure}")

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    doc = {"when": stamp, "quick": args.quick, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                            "platform": platform.platform()},
           "figures": [dict(asdict(f), ratio=f.ratio) for f in figures], "failures": failures}
    out = args.out / f"{stamp}.json"
    out.write_text(json.dumps(doc, indent=2))
    print(f"\nwritten to {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
