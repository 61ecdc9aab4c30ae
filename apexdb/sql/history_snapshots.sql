-- Snapshots, newest first: member, when, baseline or not, what changed, server time
SELECT snapshot_id, member, role, taken_at, baseline, statements_changed, relations_changed, server_ms
FROM {history}.snapshot
WHERE (%(member)s::text IS NULL OR member = %(member)s::text)
ORDER BY taken_at DESC, snapshot_id DESC
LIMIT %(limit)s::bigint
