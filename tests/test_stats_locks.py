"""apexdb stats locks: real locks held and awaited by other sessions, and the blocking tree.

The chain: ``holder`` keeps a transaction open after an INSERT (RowExclusiveLock on ``orders``),
``migrator`` asks for ACCESS EXCLUSIVE and waits for the holder, ``reader`` asks for ACCESS SHARE and
queues behind the migrator. Each wait is a sync point read from pg_stat_activity (wait_event_type =
'Lock'), never a sleep."""
from __future__ import annotations

import threading

import pytest

from support import wait_for


def waiting_on_a_lock(db, pid: int) -> bool:
    return bool(db.scalar("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [pid]))


@pytest.fixture
def chain(db):
    db.sql("CREATE TABLE orders (id int)")
    holder = db.connect(application_name="billing-job")
    holder.execute("BEGIN")
    holder.execute("INSERT INTO orders VALUES (1)")
    migrator = db.connect(application_name="migrate")
    reader = db.connect(application_name="api")
    threads = []
    for conn, statement in ((migrator, "BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE"),
                            (reader, "SELECT count(*) FROM orders")):
        thread = threading.Thread(target=lambda c=conn, s=statement: c.execute(s), daemon=True)
        thread.start()
        threads.append(thread)
        wait_for(lambda c=conn: waiting_on_a_lock(db, c.info.backend_pid), f"{statement!r} to wait for its lock")
    yield holder.info.backend_pid, migrator.info.backend_pid, reader.info.backend_pid
    holder.execute("ROLLBACK")
    threads[0].join(60)  # the migrator has its lock, inside its transaction: end it, so the reader goes on
    migrator.execute("ROLLBACK")
    threads[1].join(60)
    for conn in (holder, migrator, reader):
        conn.close()


def test_who_holds_who_waits_and_the_tree(apex, db, chain):
    holder, migrator, reader = chain
    r = apex("stats", "locks", "--format", "json")
    assert r.exit_code == 0, r
    doc = r.json
    on_orders = {(lk["pid"], lk["mode"], lk["granted"]) for lk in doc["locks"] if lk["relation"] == "public.orders"}
    assert {(holder, "RowExclusiveLock", True), (migrator, "AccessExclusiveLock", False),
            (reader, "AccessShareLock", False)} <= on_orders
    waiting = {lk["pid"]: lk for lk in doc["locks"] if not lk["granted"]}
    assert waiting[migrator]["blocked_by"] == [holder] and waiting[reader]["blocked_by"] == [migrator]
    assert waiting[migrator]["wait_s"] >= 0 and waiting[migrator]["transaction_s"] >= 0
    assert waiting[migrator]["application"] == "migrate" and waiting[migrator]["role"] == "postgres"
    assert waiting[migrator]["lock_type"] == "relation" and waiting[migrator]["state"] == "active"
    held = [lk for lk in doc["locks"] if lk["pid"] == holder and lk["relation"] == "public.orders"][0]
    assert held["wait_s"] is None and held["state"] == "idle in transaction" and held["blocked_by"] == []
    assert "INSERT INTO orders" in held["query"]
    # the tree: holder <- migrator <- reader
    root = [node for node in doc["blocking_tree"] if node["pid"] == holder]
    assert len(root) == 1 and [w["pid"] for w in root[0]["waiters"]] == [migrator]
    assert [w["pid"] for w in root[0]["waiters"][0]["waiters"]] == [reader]
    assert root[0]["waiters"][0]["waiting_for"] == "AccessExclusiveLock on public.orders"
    totals = doc["totals"]
    assert totals["waiting"] >= 2 and totals["blocked_sessions"] >= 2 and totals["blocking_sessions"] >= 2
    assert totals["locks"] == len(doc["locks"]) == totals["held"] + totals["waiting"]

    r = apex("stats", "locks")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    tree = lines[lines.index("Blocking tree (a waiter under what it waits for)") + 1:]
    root_line = next(i for i, line in enumerate(tree) if line.startswith(f"pid {holder} "))
    assert "billing-job" in tree[root_line] and "idle in transaction" in tree[root_line]
    assert tree[root_line + 1].startswith(f"└── pid {migrator} ")
    assert "waits for" in tree[root_line + 1] and "AccessExclusiveLock on public.orders" in tree[root_line + 1]
    assert tree[root_line + 2].startswith(f"    └── pid {reader} ")
    total = [line for line in lines if line.startswith("Total: ")]
    assert total and "waiting" in total[0] and "blocked" in total[0]
    assert "Traceback" not in r.stderr


def test_markdown_and_csv(apex, chain):
    holder, migrator, _ = chain
    r = apex("stats", "locks", "--format", "markdown")
    assert r.exit_code == 0 and "### Blocking tree" in r.stdout and f"└── pid {migrator}" in r.stdout, r
    r = apex("stats", "locks", "--format", "csv")
    assert r.exit_code == 0, r
    header = r.stdout.splitlines()[0].split(",")
    assert header[:6] == ["pid", "role", "application", "state", "lock_type", "mode"]
    assert any(line.startswith(f"{migrator},") and ",waiting," in line for line in r.stdout.splitlines())
    assert "lock(s):" in r.stderr


def test_nothing_waits(apex, db):
    db.sql("CREATE TABLE quiet (id int)")
    holder = db.connect(application_name="holder")
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE quiet IN SHARE MODE")
    try:
        r = apex("stats", "locks", "--format", "json")
        assert r.exit_code == 0, r
        mine = [lk for lk in r.json["locks"] if lk["pid"] == holder.info.backend_pid]
        # its own transaction id lock nobody waits for is left out unless --all
        assert [(lk["relation"], lk["mode"]) for lk in mine] == [("public.quiet", "ShareLock")]
        assert r.json["blocking_tree"] == []
        r = apex("stats", "locks", "--all", "--format", "json")
        kinds = {lk["lock_type"] for lk in r.json["locks"] if lk["pid"] == holder.info.backend_pid}
        assert {"relation", "virtualxid"} <= kinds
        r = apex("stats", "locks")
        assert "Blocking tree: nobody waits for a lock" in r.stdout
    finally:
        holder.execute("ROLLBACK")
        holder.close()
