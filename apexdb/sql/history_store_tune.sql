-- Store one apexdb tune run: the index, the knob, the pick and the sweep (curve); nothing without an index
INSERT INTO {history}.tune_run (index_name, table_name, column_name, method, knob, k, target_recall, picked,
                                picked_recall, source, source_label, optimistic, curve)
SELECT %(index_name)s::text, %(table_name)s::text, %(column_name)s::text, %(method)s::text, %(knob)s::text,
        %(k)s::int, %(target_recall)s::float8, %(picked)s::int, %(picked_recall)s::float8, %(source)s::text,
        %(source_label)s::text, %(optimistic)s::boolean, %(curve)s::jsonb
WHERE %(index_name)s::text IS NOT NULL
RETURNING run_id, taken_at
