-- A member's statements in two periods of its snapshots: calls, mean time and rows per call before and after, largest rise in mean time first
WITH snaps AS (
    SELECT snapshot_id, taken_at > %(since)s::timestamptz AS after
    FROM {history}.snapshot
    WHERE member = %(member)s::text AND NOT baseline
      AND taken_at > %(before_from)s::timestamptz AND taken_at <= %(until)s::timestamptz
), d AS (
    SELECT s.after, u.queryid, u.calls, u.total_ms, u.rows
    FROM snaps s
    JOIN {history}.statement_delta sd USING (snapshot_id)
    CROSS JOIN LATERAL unnest(sd.queryid, sd.calls, sd.total_ms, sd.rows) AS u(queryid, calls, total_ms, rows)
), per AS (
    SELECT queryid,
           coalesce(sum(calls) FILTER (WHERE NOT after), 0) AS calls_before,
           coalesce(sum(calls) FILTER (WHERE after), 0) AS calls_after,
           sum(total_ms) FILTER (WHERE NOT after) AS total_ms_before,
           sum(total_ms) FILTER (WHERE after) AS total_ms_after,
           sum(rows) FILTER (WHERE NOT after) AS rows_before,
           sum(rows) FILTER (WHERE after) AS rows_after
    FROM d
    GROUP BY queryid
), figures AS (
    SELECT queryid, calls_before, calls_after, total_ms_before, total_ms_after,
           total_ms_before / nullif(calls_before, 0) AS mean_ms_before,
           total_ms_after / nullif(calls_after, 0) AS mean_ms_after,
           rows_before::float8 / nullif(calls_before, 0) AS rows_per_call_before,
           rows_after::float8 / nullif(calls_after, 0) AS rows_per_call_after
    FROM per
)
SELECT f.queryid, t.query, f.calls_before, f.calls_after, f.total_ms_before, f.total_ms_after,
       f.mean_ms_before, f.mean_ms_after, f.rows_per_call_before, f.rows_per_call_after,
       f.mean_ms_after / nullif(f.mean_ms_before, 0) AS mean_change,
       f.calls_after::float8 / nullif(f.calls_before, 0) AS calls_change,
       f.rows_per_call_after / nullif(f.rows_per_call_before, 0) AS rows_per_call_change
FROM figures f
LEFT JOIN {history}.statement_text t USING (queryid)
WHERE f.calls_after >= %(min_calls)s::bigint AND f.calls_before >= %(min_calls_before)s::bigint
ORDER BY f.mean_ms_after / nullif(f.mean_ms_before, 0) DESC NULLS LAST, f.total_ms_after DESC NULLS LAST, f.queryid
LIMIT %(limit)s::bigint
