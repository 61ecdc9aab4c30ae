-- Per-database and per-role settings (ALTER DATABASE/ROLE ... SET) that apply in this database
SELECT coalesce(r.rolname, '') AS role,
       s.setdatabase = 0 AS all_databases,
       split_part(cfg, '=', 1) AS name,
       substr(cfg, length(split_part(cfg, '=', 1)) + 2) AS value
FROM pg_db_role_setting s
LEFT JOIN pg_roles r ON r.oid = s.setrole
CROSS JOIN LATERAL unnest(s.setconfig) cfg
WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))
ORDER BY role, name
