"""``apexdb demo``: a guided tour on the embedded server, one real command at a time."""
from __future__ import annotations

import os
import shlex
import tempfile

import typer

from apexdb.cli.common import Session

# Where the demo writes its sample corpus file (index/load steps).
_DEMO_FILE = os.path.join(tempfile.gettempdir(), f"apexdb-demo-{os.getuid()}", "demo_items.jsonl")

# (what the step shows, the apexdb arguments it runs). Each capability adds its steps.
DEMO_STEPS: list[tuple[str, list[str]]] = [
    # the server and what apexdb sees
    ("The embedded server apexdb starts on first use", ["server", "status"]),
    ("What apexdb sees in the database", ["info"]),
    # the Apex schema and its migrations
    ("The Apex schema: pgvector, then every migration to head (idempotent: a rerun applies nothing)", ["init"]),
    ("Where the migrations stand: current revision, head, pending", ["migrate", "status"]),
    ("One Apex table: columns, constraints, indexes (HNSW on the embedding) and sizes",
     ["schema", "show", "entities"]),
    ("Lint the migrations (./alembic.ini's, else apexdb's own): squawk's rules plus pgvector rules",
     ["migrate", "lint"]),
    # vectors: load, index, search, tune
    ("A sample corpus: 3,000 documents, 384-d embeddings in 8 topic clusters", ["sample-data", _DEMO_FILE]),
    ("Bulk-load it with COPY BINARY (creates demo_items; a rerun empties it first)",
     ["load", "demo_items", _DEMO_FILE, "--create", "--truncate", "--yes"]),
    ("An HNSW cosine index, memory sized to the graph, with live progress (--replace: rerunnable)",
     ["index", "create", "demo_items", "embedding", "--replace"]),
    ("The table's indexes: method, parameters, size, scans, bytes per row", ["index", "list", "demo_items"]),
    ("Nearest neighbours of document 1 through that index (the row itself left out)",
     ["search", "demo_items", "--like", "1", "--k", "5"]),
    ("Within another topic: iterative scan keeps going past ef_search; --compare checks it against the exact answer",
     ["search", "demo_items", "--like", "1", "--k", "5", "--filter", "category=search", "--iterative-scan", "relaxed",
      "--compare"]),
    ("Which hnsw.ef_search reaches 95% recall@10 at the least latency, measured with rows held out of a scratch "
     "copy (queries that are not nodes of the index; the copy is rolled back)",
     ["tune", "demo_items", "embedding", "--sample", "40", "--budget", "60"]),
    # diagnostics: explain, stats, audit
    ("EXPLAIN ANALYZE a filtered vector search: the plan tree, timings, buffers, findings (rolled back)",
     ["explain", "--analyze", "SELECT id, title FROM demo_items WHERE category = 'search' ORDER BY embedding "
      "<=> (SELECT embedding FROM demo_items WHERE id = 1) LIMIT 10"]),
    ("A vector ORDER BY with the wrong operator: why the HNSW index was not used, and the fix",
     ["explain", "SELECT id FROM demo_items ORDER BY embedding <-> (SELECT embedding FROM demo_items "
      "WHERE id = 1) LIMIT 10"]),
    ("Memory and vector settings against this machine's RAM (work_mem = RAM x 0.25 / max_connections)",
     ["stats", "settings"]),
    ("Audit indexes, vacuum and settings as cron would (exit 1 only on a critical finding)",
     ["audit", "all"]),
    # maintenance
    ("VACUUM with before/after figures: dead tuples, size, what VACUUM itself removed",
     ["vacuum", "demo_items", "--analyze"]),
    ("The maintenance the audits call for, as a plan with reasons and cost (--apply would run it)",
     ["maintain"]),
]


def register(app: typer.Typer) -> None:
    app.command("demo", rich_help_panel="Server")(demo)


def demo() -> None:
    """A guided tour: starts the embedded server and runs each capability on sample data."""
    from apexdb.cli.app import app as root
    from apexdb.db.embedded import EmbeddedServer
    from apexdb.errors import ApexdbError

    with Session("table") as s:
        EmbeddedServer().ensure_running()
        for number, (title, argv) in enumerate(DEMO_STEPS, 1):
            s.out.line("")
            s.out.line(f"── {number}. {title}")
            s.out.line(f"$ apexdb {shlex.join(argv)}")
            code = typer.main.get_command(root).main(args=argv, prog_name="apexdb", standalone_mode=False)
            if code not in (0, 1, None):
                raise ApexdbError(f"demo step {number} (apexdb {shlex.join(argv)}) failed with exit code {code}")
        s.out.line("")
        s.out.line("That was the tour. `apexdb --help` lists every command; docs/ has a page per group.")
