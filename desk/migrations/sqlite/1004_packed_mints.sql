-- One mint transaction may carry several deposits (SQLite): an attempt is
-- its signature and the deposit, each deposit's fate read from the chain.
CREATE TABLE mint_attempts_packed (
    signature          TEXT NOT NULL,
    deposit_id         TEXT NOT NULL REFERENCES deposits (id),
    blockhash          TEXT NOT NULL,
    last_valid_height  BIGINT,
    at                 BIGINT NOT NULL,
    PRIMARY KEY (signature, deposit_id)
);
INSERT INTO mint_attempts_packed (signature, deposit_id, blockhash, last_valid_height, at)
    SELECT signature, deposit_id, blockhash, last_valid_height, at FROM mint_attempts;
DROP TABLE mint_attempts;
ALTER TABLE mint_attempts_packed RENAME TO mint_attempts;
CREATE INDEX mint_attempts_of ON mint_attempts (deposit_id);
