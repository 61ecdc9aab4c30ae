"""Cluster test helpers: a config naming a test database on the primary and on its replica."""
from __future__ import annotations

import psycopg

from apexdb.db.embedded_replica import wait_replayed
from support import run_cli, run_flushed, wait_for


class ClusterConfig:
    """A config file naming this test's database on the primary (p) and on the replica (r1)."""

    def __init__(self, db, replica, tmp_path, extra_members: dict[str, str] | None = None):
        self.db, self.replica = db, replica
        self.replica_dsn = replica.dsn(db.name)
        members = {"p": db.dsn, "r1": self.replica_dsn, **(extra_members or {})}
        self.config = tmp_path / "apexdb.toml"
        self.write(members, list(members))
        self.sync()  # this test's database exists on the replica only once its CREATE DATABASE is replayed

    def write(self, targets: dict[str, str], members: list[str], name: str = "main") -> None:
        body = "".join(f'[targets.{t}]\ndsn = "{dsn}"\n\n' for t, dsn in targets.items())
        body += f"[clusters.{name}]\nmembers = {list(members)!r}\n".replace("'", '"')
        self.config = self.config.with_name(f"apexdb-{abs(hash(body))}.toml")  # the config reader caches by path
        self.config.write_text(body)

    def __call__(self, *args):
        return run_cli(list(args), env={"APEXDB_CONFIG": str(self.config)})

    def sync(self) -> None:
        wait_replayed(self.db.dsn, self.replica)

    def on_replica(self, *queries: str) -> None:
        """Run ``queries`` on the replica with sequential scans off; flush its statistics."""
        self.sync()
        with psycopg.connect(self.replica_dsn, autocommit=True) as conn:
            conn.execute("SET enable_seqscan = off")
            for q in queries:
                conn.execute(q).fetchall()
            conn.execute("SELECT pg_stat_force_next_flush()")
            conn.execute("SELECT 1")


SEARCH = "SELECT id FROM docs ORDER BY emb <-> '[1,2,3]' LIMIT 5"


def replica_search_schema(cluster) -> None:
    run_flushed(cluster.db, """
        CREATE TABLE docs (id int PRIMARY KEY, category int, emb vector(3) NOT NULL);
        INSERT INTO docs SELECT g, g % 10, ARRAY[random(), random(), random()]::vector FROM generate_series(1, 3000) g;
        CREATE INDEX docs_emb_idx ON docs USING hnsw (emb vector_l2_ops);
        CREATE INDEX docs_category_idx ON docs (category);
    """)
    cluster.db.sql("ANALYZE")
    cluster.on_replica(SEARCH, SEARCH)


def by_check(doc, check):
    return {f["object"]: f for f in doc["findings"] if f["check"] == check}




def until(dsn: str, query: str, params=None, between=None) -> None:
    """Poll ``query`` on fresh connections until it returns true (``between()`` runs between tries)."""
    def holds():
        with psycopg.connect(dsn, autocommit=True) as conn:
            value = conn.execute(query, params).fetchone()[0]
        if not value and between:
            between()
        return value
    wait_for(holds, query)


def set_system(dsn: str, name: str, value: str | None, reset_to: str | None = None) -> None:
    """ALTER SYSTEM SET ``name`` (RESET with None), reload, and wait until new sessions see
    ``value`` (or ``reset_to``)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if value is None:
            conn.execute(f"ALTER SYSTEM RESET {name}")
        else:
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        conn.execute("SELECT pg_reload_conf()")
    wanted = value if value is not None else reset_to
    if wanted is not None:
        until(dsn, "SELECT current_setting(%s) = %s", [name, wanted])
