-- One statement over a member's snapshots since a time: calls, mean time and rows in each snapshot's interval
SELECT s.snapshot_id, s.taken_at AS at, coalesce(x.calls, 0) AS calls, x.total_ms / nullif(x.calls, 0) AS mean_ms,
       coalesce(x.rows, 0) AS rows
FROM {history}.snapshot s
LEFT JOIN LATERAL (
    SELECT sum(u.calls) AS calls, sum(u.total_ms) AS total_ms, sum(u.rows) AS rows
    FROM {history}.statement_delta sd
    CROSS JOIN LATERAL unnest(sd.queryid, sd.calls, sd.total_ms, sd.rows) AS u(queryid, calls, total_ms, rows)
    WHERE sd.snapshot_id = s.snapshot_id AND u.queryid = %(queryid)s::bigint
) x ON true
WHERE s.member = %(member)s::text AND NOT s.baseline AND s.taken_at > %(since)s::timestamptz
ORDER BY s.taken_at, s.snapshot_id
