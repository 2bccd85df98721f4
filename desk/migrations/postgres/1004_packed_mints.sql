-- One mint transaction may carry several deposits (PostgreSQL): an attempt
-- is its signature and the deposit, each deposit's fate read from the chain.
ALTER TABLE mint_attempts DROP CONSTRAINT mint_attempts_pkey;
ALTER TABLE mint_attempts ADD PRIMARY KEY (signature, deposit_id);
