-- Empty the staging tables (a snapshot's first and last step, in its own transaction)
DELETE FROM {history}.stage_statements;
DELETE FROM {history}.stage_relations
