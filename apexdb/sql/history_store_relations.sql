-- Store a snapshot's relation sizes and vector-index scans that changed since the member's last snapshot
WITH cur AS (
    SELECT * FROM {history}.stage_relations
), names AS (
    INSERT INTO {history}.relation AS r (relid, kind, schema_name, name, table_name, method)
    SELECT relid, kind, schema_name, name, table_name, method FROM cur
    ON CONFLICT (relid) DO UPDATE
        SET kind = excluded.kind, schema_name = excluded.schema_name, name = excluded.name,
            table_name = excluded.table_name, method = excluded.method
        WHERE (r.kind, r.schema_name, r.name, r.table_name, r.method)
              IS DISTINCT FROM (excluded.kind, excluded.schema_name, excluded.name, excluded.table_name, excluded.method)
), last AS (
    SELECT * FROM {history}.relation_last WHERE member = %(member)s::text
), changed AS (
    SELECT c.relid, c.bytes, c.scans
    FROM cur c
    LEFT JOIN last l ON l.relid = c.relid
    WHERE l.relid IS NULL OR c.bytes IS DISTINCT FROM l.bytes OR c.scans IS DISTINCT FROM l.scans
), stored AS (
    INSERT INTO {history}.relation_sample (snapshot_id, relid, bytes, scans)
    SELECT %(snapshot_id)s::bigint, array_agg(relid), array_agg(bytes), array_agg(scans)
    FROM changed
    HAVING count(*) > 0
), moved AS (
    INSERT INTO {history}.relation_last AS l (member, relid, bytes, scans)
    SELECT %(member)s::text, relid, bytes, scans FROM changed
    ON CONFLICT (member, relid) DO UPDATE SET bytes = excluded.bytes, scans = excluded.scans
), gone AS (
    DELETE FROM {history}.relation_last l
    WHERE l.member = %(member)s::text AND NOT EXISTS (SELECT 1 FROM cur c WHERE c.relid = l.relid)
)
SELECT (SELECT count(*) FROM changed) AS changed, (SELECT count(*) FROM cur) AS relations
