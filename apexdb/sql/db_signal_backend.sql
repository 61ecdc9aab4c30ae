-- Signal a backend: cancel its statement (with only_active, only while it runs one: an idle one is left alone) or terminate its session; no row: no such backend
SELECT CASE WHEN %(terminate)s::boolean THEN pg_terminate_backend(a.pid)
            WHEN a.state = 'active' OR %(only_active)s::boolean IS NOT TRUE THEN pg_cancel_backend(a.pid)
       END AS sent
FROM pg_stat_activity a
WHERE a.pid = %(pid)s::int
