-- Whether apexdb's history schema (the schema named by the parameter) has its version table
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %(schema)s::text AND c.relname = 'version' AND c.relkind = 'r') AS installed
