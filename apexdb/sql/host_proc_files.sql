-- The server host's memory and CPUs (/proc/meminfo, /proc/cpuinfo, the cgroup memory limit), for a role that may read server files
SELECT CASE WHEN readable THEN pg_read_file('/proc/meminfo') END AS meminfo,
       CASE WHEN readable THEN pg_read_file('/proc/cpuinfo') END AS cpuinfo,
       CASE WHEN readable THEN pg_read_file('/sys/fs/cgroup/memory.max', 0, 64, true) END AS memory_max,
       readable
FROM (SELECT has_function_privilege('pg_read_file(text)', 'execute')
               AND (pg_has_role('pg_read_server_files', 'member')
                    OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) AS readable) r
