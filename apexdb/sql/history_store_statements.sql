-- Store a snapshot's statement deltas (statements that ran since the member's last snapshot) and move its counters on
WITH cur AS (
    SELECT * FROM {history}.stage_statements
), last AS (
    SELECT * FROM {history}.statement_last WHERE member = %(member)s::text
), changed AS (
    -- a statement new to the member, evicted and back, or whose counters went down (a reset) counts from zero
    SELECT c.userid, c.queryid, c.query, c.calls, c.total_ms, c.rows, c.blks_hit, c.blks_read,
           (l.queryid IS NULL OR %(reset)s::boolean OR c.calls < l.calls) AS restarted,
           l.calls AS l_calls, l.total_ms AS l_total_ms, l.rows AS l_rows, l.blks_hit AS l_hit, l.blks_read AS l_read
    FROM cur c
    LEFT JOIN last l ON l.userid = c.userid AND l.queryid = c.queryid
    WHERE l.queryid IS NULL OR c.calls <> l.calls OR c.total_ms <> l.total_ms
), deltas AS (
    SELECT userid, queryid,
           CASE WHEN restarted THEN calls ELSE calls - l_calls END AS calls,
           CASE WHEN restarted THEN total_ms ELSE greatest(total_ms - l_total_ms, 0) END AS total_ms,
           CASE WHEN restarted THEN rows ELSE greatest(rows - l_rows, 0) END AS rows,
           CASE WHEN restarted THEN blks_hit ELSE greatest(blks_hit - l_hit, 0) END AS blks_hit,
           CASE WHEN restarted THEN blks_read ELSE greatest(blks_read - l_read, 0) END AS blks_read
    FROM changed
    WHERE NOT %(baseline)s::boolean
), stored AS (
    INSERT INTO {history}.statement_delta (snapshot_id, userid, queryid, calls, total_ms, rows, blks_hit, blks_read)
    SELECT %(snapshot_id)s::bigint, array_agg(userid), array_agg(queryid), array_agg(calls), array_agg(total_ms),
           array_agg(rows), array_agg(blks_hit), array_agg(blks_read)
    FROM deltas
    HAVING count(*) > 0
), texts AS (
    INSERT INTO {history}.statement_text (queryid, query)
    SELECT DISTINCT ON (queryid) queryid, query FROM changed
    WHERE query IS NOT NULL AND NOT %(baseline)s::boolean
    ON CONFLICT (queryid) DO NOTHING
), moved AS (
    INSERT INTO {history}.statement_last AS l (member, userid, queryid, calls, total_ms, rows, blks_hit, blks_read)
    SELECT %(member)s::text, userid, queryid, calls, total_ms, rows, blks_hit, blks_read FROM changed
    ON CONFLICT (member, userid, queryid) DO UPDATE
        SET calls = excluded.calls, total_ms = excluded.total_ms, rows = excluded.rows,
            blks_hit = excluded.blks_hit, blks_read = excluded.blks_read
), gone AS (
    -- evicted statements: forgotten, so one that comes back counts from zero
    DELETE FROM {history}.statement_last l
    WHERE l.member = %(member)s::text
      AND NOT EXISTS (SELECT 1 FROM cur c WHERE c.userid = l.userid AND c.queryid = l.queryid)
)
SELECT (SELECT count(*) FROM deltas) AS changed, (SELECT count(*) FROM cur) AS statements
