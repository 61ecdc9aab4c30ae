-- Forget snapshots older than the retention; relation samples carried forward to the oldest kept snapshot, unused texts dropped
WITH old AS (
    SELECT snapshot_id, member FROM {history}.snapshot
    WHERE taken_at < now() - make_interval(secs => %(retention_s)s::float8)
), oldest_kept AS (
    SELECT DISTINCT ON (member) member, snapshot_id FROM {history}.snapshot
    WHERE taken_at >= now() - make_interval(secs => %(retention_s)s::float8)
    ORDER BY member, taken_at, snapshot_id
), old_samples AS (
    -- each relation's latest sample among the forgotten snapshots: still its value until a newer sample
    SELECT DISTINCT ON (o.member, u.relid) o.member, u.relid, u.bytes, u.scans
    FROM {history}.relation_sample s
    JOIN old o USING (snapshot_id)
    CROSS JOIN LATERAL unnest(s.relid, s.bytes, s.scans) AS u(relid, bytes, scans)
    ORDER BY o.member, u.relid, s.snapshot_id DESC
), carried AS (
    SELECT k.snapshot_id, array_agg(c.relid) AS relid, array_agg(c.bytes) AS bytes, array_agg(c.scans) AS scans
    FROM old_samples c
    JOIN oldest_kept k USING (member)
    WHERE NOT EXISTS (SELECT 1 FROM {history}.relation_sample s, unnest(s.relid) AS r(relid)
                      WHERE s.snapshot_id = k.snapshot_id AND r.relid = c.relid)
    GROUP BY k.snapshot_id
), merged AS (
    UPDATE {history}.relation_sample s
    SET relid = s.relid || c.relid, bytes = s.bytes || c.bytes, scans = s.scans || c.scans
    FROM carried c WHERE s.snapshot_id = c.snapshot_id
    RETURNING s.snapshot_id
), added AS (
    INSERT INTO {history}.relation_sample (snapshot_id, relid, bytes, scans)
    SELECT c.snapshot_id, c.relid, c.bytes, c.scans FROM carried c
    WHERE NOT EXISTS (SELECT 1 FROM {history}.relation_sample s WHERE s.snapshot_id = c.snapshot_id)
), samples AS (
    DELETE FROM {history}.relation_sample WHERE snapshot_id IN (SELECT snapshot_id FROM old)
), deltas AS (
    DELETE FROM {history}.statement_delta WHERE snapshot_id IN (SELECT snapshot_id FROM old)
), snapshots AS (
    DELETE FROM {history}.snapshot WHERE snapshot_id IN (SELECT snapshot_id FROM old)
    RETURNING snapshot_id
)
SELECT (SELECT count(*) FROM snapshots) AS snapshots
