-- ANALYZE a table just loaded, so the planner has statistics for its new rows
ANALYZE {table}
