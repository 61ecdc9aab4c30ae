-- Empty the staging tables (a snapshot's first and last step): TRUNCATE, so they never bloat between vacuums
TRUNCATE {history}.stage_statements, {history}.stage_relations
