-- Whether pgvector's vector type exists in this database (its types are registered on the connection then)
SELECT 1 AS present FROM pg_type WHERE typname = 'vector'
