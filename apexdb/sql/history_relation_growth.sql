-- Tables or indexes that grew since a time: size then (the latest sample before it) and now, and the samples since (sizes: the primary's; scans: the member's)
WITH samples AS (
    SELECT s.member, s.taken_at, u.relid, u.bytes, u.scans
    FROM {history}.snapshot s
    JOIN {history}.relation_sample rs USING (snapshot_id)
    CROSS JOIN LATERAL unnest(rs.relid, rs.bytes, rs.scans) AS u(relid, bytes, scans)
    WHERE s.member IN ('primary', %(member)s::text)
), before AS (
    SELECT DISTINCT ON (relid) relid, bytes FROM samples
    WHERE member = 'primary' AND bytes IS NOT NULL AND taken_at <= %(since)s::timestamptz
    ORDER BY relid, taken_at DESC
), scans_before AS (
    SELECT DISTINCT ON (relid) relid, scans FROM samples
    WHERE member = %(member)s::text AND scans IS NOT NULL AND taken_at <= %(since)s::timestamptz
    ORDER BY relid, taken_at DESC
), series AS (
    SELECT relid, array_agg(taken_at ORDER BY taken_at) AS series_at, array_agg(bytes ORDER BY taken_at) AS series_bytes
    FROM samples
    WHERE member = 'primary' AND bytes IS NOT NULL AND taken_at > %(since)s::timestamptz
    GROUP BY relid
)
SELECT r.relid, r.schema_name AS schema, r.name, r.table_name, r.method,
       b.bytes AS bytes_before, l.bytes AS bytes_now,
       l.bytes - coalesce(b.bytes, 0) AS growth_bytes,
       (l.bytes - b.bytes)::float8 / nullif(b.bytes, 0) AS growth_pct,
       ms.scans - sb.scans AS scans_since,
       se.series_at, se.series_bytes
FROM {history}.relation_last l
JOIN {history}.relation r USING (relid)
LEFT JOIN before b USING (relid)
LEFT JOIN series se USING (relid)
LEFT JOIN {history}.relation_last ms ON ms.member = %(member)s::text AND ms.relid = l.relid
LEFT JOIN scans_before sb ON sb.relid = l.relid
WHERE l.member = 'primary' AND r.kind = %(kind)s::text AND l.bytes IS NOT NULL
ORDER BY l.bytes - coalesce(b.bytes, 0) DESC, l.bytes DESC, r.schema_name, r.name
LIMIT %(limit)s::bigint
