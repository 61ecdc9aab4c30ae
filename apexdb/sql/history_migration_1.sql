-- History migration 1: snapshots, statement deltas, relation samples, tune runs (idempotent: IF NOT EXISTS)
CREATE TABLE IF NOT EXISTS {history}.version (
    version int PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now(),
    description text NOT NULL
);
-- One row per snapshot of one server: the primary (member 'primary') or a replica (its cluster member name)
CREATE TABLE IF NOT EXISTS {history}.snapshot (
    snapshot_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member text NOT NULL,
    role text NOT NULL,
    system_identifier text,
    taken_at timestamptz NOT NULL DEFAULT now(),
    baseline boolean NOT NULL,
    statements_reset timestamptz,
    statements_changed int,
    relations_changed int,
    server_ms real
);
CREATE INDEX IF NOT EXISTS snapshot_member_taken_at ON {history}.snapshot (member, taken_at);
-- Statement text, once per queryid
CREATE TABLE IF NOT EXISTS {history}.statement_text (
    queryid bigint PRIMARY KEY,
    query text NOT NULL
);
-- What changed per statement since the member's previous snapshot, only statements that ran: one row per
-- snapshot, a column of arrays per counter (compact: ~50 bytes a statement instead of ~150 as rows)
CREATE TABLE IF NOT EXISTS {history}.statement_delta (
    snapshot_id bigint PRIMARY KEY,
    userid oid[] NOT NULL,
    queryid bigint[] NOT NULL,
    calls bigint[] NOT NULL,
    total_ms float8[] NOT NULL,
    rows bigint[] NOT NULL,
    blks_hit bigint[] NOT NULL,
    blks_read bigint[] NOT NULL
);
-- Each member's cumulative counters at its last snapshot: what the next delta is taken against
CREATE TABLE IF NOT EXISTS {history}.statement_last (
    member text NOT NULL,
    userid oid NOT NULL,
    queryid bigint NOT NULL,
    calls bigint NOT NULL,
    total_ms float8 NOT NULL,
    rows bigint NOT NULL,
    blks_hit bigint NOT NULL,
    blks_read bigint NOT NULL,
    PRIMARY KEY (member, userid, queryid)
) WITH (fillfactor = 50);
-- Names of the relations sampled, once per oid
CREATE TABLE IF NOT EXISTS {history}.relation (
    relid oid PRIMARY KEY,
    kind text NOT NULL,
    schema_name text NOT NULL,
    name text NOT NULL,
    table_name text,
    method text
);
-- Relations' sizes (primary) and vector-index scans (every member), only those that changed: one row per snapshot
CREATE TABLE IF NOT EXISTS {history}.relation_sample (
    snapshot_id bigint PRIMARY KEY,
    relid oid[] NOT NULL,
    bytes bigint[] NOT NULL,
    scans bigint[] NOT NULL
);
CREATE TABLE IF NOT EXISTS {history}.relation_last (
    member text NOT NULL,
    relid oid NOT NULL,
    bytes bigint,
    scans bigint,
    PRIMARY KEY (member, relid)
) WITH (fillfactor = 50);
-- Where a snapshot stages what it read (the primary's own statistics, or a replica's, copied in)
CREATE UNLOGGED TABLE IF NOT EXISTS {history}.stage_statements (
    userid oid NOT NULL,
    queryid bigint NOT NULL,
    calls bigint NOT NULL,
    total_ms float8 NOT NULL,
    rows bigint NOT NULL,
    blks_hit bigint NOT NULL,
    blks_read bigint NOT NULL,
    query text
);
CREATE UNLOGGED TABLE IF NOT EXISTS {history}.stage_relations (
    relid oid NOT NULL,
    kind text NOT NULL,
    schema_name text NOT NULL,
    name text NOT NULL,
    table_name text,
    method text,
    bytes bigint,
    scans bigint
);
-- apexdb tune's results: the sweep (curve), the pick, the index and where the queries came from
CREATE TABLE IF NOT EXISTS {history}.tune_run (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    taken_at timestamptz NOT NULL DEFAULT now(),
    index_name text NOT NULL,
    table_name text NOT NULL,
    column_name text NOT NULL,
    method text NOT NULL,
    knob text NOT NULL,
    k int NOT NULL,
    target_recall float8 NOT NULL,
    picked int,
    picked_recall float8,
    source text NOT NULL,
    source_label text,
    optimistic boolean NOT NULL,
    curve jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS tune_run_index ON {history}.tune_run (index_name, taken_at);
INSERT INTO {history}.version (version, description) VALUES (1, 'snapshots, statement deltas, relation samples, tune runs')
ON CONFLICT (version) DO NOTHING
