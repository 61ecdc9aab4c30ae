-- Every database's oldest unfrozen transaction ID and multixact age (wraparound stops the whole cluster)
SELECT datname AS database,
       datname = current_database() AS is_current,
       age(datfrozenxid) AS xid_age,
       mxid_age(datminmxid) AS multixact_age,
       datallowconn AS allows_connections
FROM pg_database
ORDER BY age(datfrozenxid) DESC
