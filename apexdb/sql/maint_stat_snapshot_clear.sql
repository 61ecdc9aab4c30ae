-- Drop this transaction's cached statistics snapshot, so the next read of pg_stat_* is fresh
SELECT pg_stat_clear_snapshot()
