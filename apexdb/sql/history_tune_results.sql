-- apexdb tune's stored runs, newest first (only each index's latest when asked)
SELECT run_id, taken_at, index_name, table_name, column_name, method, knob, k, target_recall, picked, picked_recall,
       source, source_label, optimistic, curve
FROM (
    SELECT t.*, row_number() OVER (PARTITION BY index_name ORDER BY taken_at DESC, run_id DESC) AS nth
    FROM {history}.tune_run t
) runs
WHERE NOT %(latest_only)s::boolean OR nth = 1
ORDER BY taken_at DESC, run_id DESC
