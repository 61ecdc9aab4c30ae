-- Rows of a table and how many hold a NULL in one column (for types without a norm, such as bit)
SELECT count(*) AS total_rows,
       count(*) FILTER (WHERE {column} IS NULL) AS null_rows,
       0::bigint AS zero_rows
FROM {table}
