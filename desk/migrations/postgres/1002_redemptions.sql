-- The desk's redemptions (PostgreSQL): each on-chain request once (by its id),
-- paid out as a bank payment to the customer's linked account, settled or
-- rejected on-chain by what the bank answers.
CREATE TABLE redemptions (
    id               BIGINT PRIMARY KEY,
    holder           TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    fee              BIGINT NOT NULL,
    payout           BIGINT NOT NULL,
    customer_id      TEXT REFERENCES customers (id),
    bank_account_id  TEXT REFERENCES bank_accounts (id),
    state            TEXT NOT NULL,
    why              TEXT,
    case_id          TEXT,
    released_by      BIGINT,
    -- The payment's EndToEndId, and the pain.001 (its MsgId) that carries it.
    end_to_end_id    TEXT NOT NULL UNIQUE,
    message_id       TEXT,
    bank_reference   TEXT,
    reason_code      BIGINT,
    chain_signature  TEXT,
    event_seq        BIGINT NOT NULL DEFAULT 0,
    requested_at     BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX redemptions_state ON redemptions (state, id);

-- Each payment file, by MsgId: its run as written, so the very same file
-- can be written again after a crash.
CREATE TABLE payment_files (
    message_id      TEXT PRIMARY KEY,
    execution_date  TEXT NOT NULL,
    created         TEXT NOT NULL,
    payments        BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    written_at      BIGINT,
    answered_at     BIGINT,
    created_at      BIGINT NOT NULL
);

-- Every settle or reject transaction, recorded before it is sent.
CREATE TABLE chain_attempts (
    signature          TEXT PRIMARY KEY,
    redemption_id      BIGINT NOT NULL REFERENCES redemptions (id),
    action             TEXT NOT NULL,
    blockhash          TEXT NOT NULL,
    last_valid_height  BIGINT,
    at                 BIGINT NOT NULL
);
CREATE INDEX chain_attempts_of ON chain_attempts (redemption_id);

-- How far the desk has read the program's redemption ids.
CREATE TABLE desk_cursor (
    id                BIGINT PRIMARY KEY,
    next_redemption   BIGINT NOT NULL
);
INSERT INTO desk_cursor (id, next_redemption) VALUES (1, 0);
