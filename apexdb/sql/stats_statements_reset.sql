-- Forget every statement pg_stat_statements has gathered (needs EXECUTE on the reset function)
SELECT {reset}()::text AS reset_at
