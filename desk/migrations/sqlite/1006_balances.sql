-- Each ledger account's balance kept beside its postings (SQLite), written in
-- the same transaction: the books read without summing every posting.
CREATE TABLE ledger_balances (
    account  TEXT PRIMARY KEY,
    balance  BIGINT NOT NULL
);
INSERT INTO ledger_balances (account, balance)
    SELECT account, SUM(amount) FROM postings GROUP BY account;
