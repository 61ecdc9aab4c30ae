-- Start a snapshot of one member (a baseline when it has no previous one); its id and time (nothing without a member)
INSERT INTO {history}.snapshot (member, role, system_identifier, baseline, statements_reset)
SELECT %(member)s::text, %(role)s::text, %(system_identifier)s::text, %(baseline)s::boolean,
       %(statements_reset)s::timestamptz
WHERE %(member)s::text IS NOT NULL
RETURNING snapshot_id, taken_at, baseline
