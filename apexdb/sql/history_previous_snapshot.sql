-- A member's latest snapshot: when, and pg_stat_statements' reset time then (a change means its counters restarted)
SELECT snapshot_id, taken_at, statements_reset
FROM {history}.snapshot
WHERE member = %(member)s::text
ORDER BY taken_at DESC, snapshot_id DESC
LIMIT 1
