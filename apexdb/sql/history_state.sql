-- The history schema's version and its snapshots: how many, the first and the last (all members)
SELECT (SELECT max(version) FROM {history}.version) AS version,
       min(taken_at) AS first_at,
       max(taken_at) AS last_at,
       count(*) AS snapshots
FROM {history}.snapshot
