-- Cancel the statement a backend is running (Ctrl-C's server half): only when it is active, so an idle one is left alone
SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = %(pid)s AND state = 'active'
