-- Forget every hypothetical index of this backend (HypoPG)
SELECT {reset}()
