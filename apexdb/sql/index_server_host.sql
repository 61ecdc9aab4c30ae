-- The server host's /proc/meminfo and /proc/cpuinfo (needs superuser or pg_read_server_files; Linux)
SELECT pg_read_file('/proc/meminfo') AS meminfo, pg_read_file('/proc/cpuinfo') AS cpuinfo
