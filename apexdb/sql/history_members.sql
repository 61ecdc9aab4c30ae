-- The members with snapshots: role, system identifier, how many snapshots, first and last
SELECT member, min(role) AS role, min(system_identifier) AS system_identifier, count(*) AS snapshots,
       min(taken_at) AS first_at, max(taken_at) AS last_at
FROM {history}.snapshot
GROUP BY member
ORDER BY member <> 'primary', member
