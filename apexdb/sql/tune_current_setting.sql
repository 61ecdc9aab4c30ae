-- One setting's value in this session, where it came from and its built-in default (after the vector library is loaded)
SELECT name, setting, source, boot_val
FROM pg_settings
WHERE name = %(name)s
