-- Each ledger account's balance kept beside its postings (PostgreSQL),
-- written in the same transaction: the books read without summing every posting.
CREATE TABLE ledger_balances (
    account  TEXT PRIMARY KEY,
    balance  BIGINT NOT NULL
);
INSERT INTO ledger_balances (account, balance)
    SELECT account, CAST(SUM(amount) AS BIGINT) FROM postings GROUP BY account;
