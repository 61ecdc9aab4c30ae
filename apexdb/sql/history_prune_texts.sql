-- Forget statement texts no stored delta refers to any more (run after history_prune forgot snapshots)
WITH used AS (
    SELECT DISTINCT unnest(queryid) AS queryid FROM {history}.statement_delta
)
DELETE FROM {history}.statement_text t
WHERE NOT EXISTS (SELECT 1 FROM used u WHERE u.queryid = t.queryid)
