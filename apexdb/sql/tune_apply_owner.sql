-- The database and role tune --apply writes its settings for (ALTER DATABASE / ALTER ROLE ... SET)
SELECT current_database() AS database, current_user AS role
