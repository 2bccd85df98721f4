-- A past day reconciled as it stood at its end (PostgreSQL): when each redemption was
-- taken on the books, paid by the bank and closed on-chain (settled or
-- rejected), and the postings found by their date.
ALTER TABLE redemptions ADD COLUMN taken_at BIGINT;
ALTER TABLE redemptions ADD COLUMN paid_at BIGINT;
ALTER TABLE redemptions ADD COLUMN closed_at BIGINT;
UPDATE redemptions SET taken_at = created_at WHERE customer_id IS NOT NULL;
UPDATE redemptions SET paid_at = updated_at WHERE state IN ('settling', 'paid', 'returned');
UPDATE redemptions SET closed_at = updated_at WHERE state IN ('paid', 'rejected', 'returned');
CREATE INDEX postings_at ON postings (at);
