-- Touch the vector type so pgvector's library loads and its settings (hnsw.*, ivfflat.*) appear
SELECT NULL::vector IS NULL AS loaded
