-- The gateway's own state (PostgreSQL), beside the service kit's tables. Amounts are
-- base units of the mint; times are unix seconds.
CREATE TABLE invoices (
    id           TEXT PRIMARY KEY,
    api_key_id   TEXT NOT NULL REFERENCES api_keys (id),
    external_id  TEXT,
    reference    TEXT NOT NULL UNIQUE,
    amount       BIGINT NOT NULL,
    memo         TEXT,
    label        TEXT,
    message      TEXT,
    metadata     TEXT,
    status       TEXT NOT NULL,
    received     BIGINT NOT NULL DEFAULT 0,
    event_seq    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    updated_at   BIGINT NOT NULL,
    UNIQUE (api_key_id, external_id)
);
CREATE INDEX invoices_open ON invoices (status, expires_at);

-- Every transaction that moved the treasury's token account, once.
CREATE TABLE movements (
    signature     TEXT PRIMARY KEY,
    slot          BIGINT NOT NULL,
    block_time    BIGINT,
    delta         BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    fee           BIGINT NOT NULL,
    fee_payer     TEXT NOT NULL,
    counterparty  TEXT,
    memo          TEXT,
    kind          TEXT NOT NULL,
    invoice_id    TEXT REFERENCES invoices (id),
    verdict       TEXT,
    difference    BIGINT,
    -- Seen at `confirmed`, checked again at `finalized`, maybe reversed.
    finalized_at  BIGINT,
    reversed_at   BIGINT,
    recorded_at   BIGINT
);
CREATE INDEX movements_order ON movements (slot, signature);

-- How far the watcher has read an address's signature list.
CREATE TABLE cursors (
    address    TEXT PRIMARY KEY,
    signature  TEXT NOT NULL,
    slot       BIGINT NOT NULL
);

-- Transactions of the mint's program (its config account's list) whose
-- events the gateway has turned into webhook events, once each.
CREATE TABLE program_transactions (
    signature  TEXT PRIMARY KEY,
    slot       BIGINT NOT NULL
);

-- A listed sender's payment, held until its case is decided.
CREATE TABLE held_payments (
    signature    TEXT PRIMARY KEY REFERENCES movements (signature),
    case_id      TEXT NOT NULL REFERENCES cases (id),
    invoice_id   TEXT REFERENCES invoices (id),
    amount       BIGINT NOT NULL,
    payment      TEXT NOT NULL,
    released_at  BIGINT,
    -- The history entry that released it.
    released_by  BIGINT,
    -- The token accounts it came from.
    accounts     TEXT
);
CREATE INDEX held_payments_of ON held_payments (case_id);

-- List versions an operator confirmed.
CREATE TABLE list_versions (
    sha256      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    operator    TEXT NOT NULL,
    api_key_id  TEXT,
    confirmed_at BIGINT NOT NULL
);
