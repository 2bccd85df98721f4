-- Transactions of the mint's program (its config account's list) whose
-- events the gateway has turned into webhook events, once each.
CREATE TABLE program_transactions (
    signature  TEXT PRIMARY KEY,
    slot       BIGINT NOT NULL
);
