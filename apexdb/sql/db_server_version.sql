-- The server's version as a number (180001) and as text, read once per connection for the registry's variants
SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS text
