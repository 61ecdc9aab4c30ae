-- Settings by name, in the order asked: the value as shown, the raw setting, bytes for sizes, the default and where the value came from
SELECT s.name,
       current_setting(s.name) AS value,
       s.setting,
       s.unit,
       CASE WHEN f.unit_bytes IS NOT NULL THEN (s.setting::numeric * f.unit_bytes)::bigint END AS bytes,
       s.boot_val AS default_value,
       CASE WHEN f.unit_bytes IS NOT NULL THEN (s.boot_val::numeric * f.unit_bytes)::bigint END AS default_bytes,
       s.setting = s.boot_val AS at_default,
       s.source
FROM pg_settings s
CROSS JOIN LATERAL (SELECT CASE s.unit WHEN '8kB' THEN 8192 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576
                                       WHEN 'B' THEN 1 END AS unit_bytes) f
WHERE s.name = ANY (%(names)s::text[])
ORDER BY array_position(%(names)s::text[], s.name::text)
