-- Forget every hypothetical index of this backend (HypoPG)
SELECT {hypopg_schema}.hypopg_reset()
