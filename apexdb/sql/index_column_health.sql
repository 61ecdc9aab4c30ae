-- Rows of a table, and how many hold NULL or all-zero vectors in one column (those are not indexed for cosine)
SELECT count(*) AS total_rows,
       count(*) FILTER (WHERE {column} IS NULL) AS null_rows,
       count(*) FILTER (WHERE {column} IS NOT NULL AND {norm}({column}) = 0) AS zero_rows
FROM {table}
