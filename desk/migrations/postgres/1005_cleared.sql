-- A wallet whose listing its case released as a false positive (PostgreSQL):
-- not listed again by the same screening.
ALTER TABLE wallets ADD COLUMN cleared_case TEXT;
