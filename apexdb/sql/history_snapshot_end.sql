-- Finish a snapshot: what changed, and the server time its transaction took so far
UPDATE {history}.snapshot
SET statements_changed = %(statements_changed)s::int,
    relations_changed = %(relations_changed)s::int,
    server_ms = extract(epoch FROM clock_timestamp() - now()) * 1000
WHERE snapshot_id = %(snapshot_id)s::bigint
RETURNING server_ms
