-- The gateway's state (PostgreSQL). Amounts are base units of the mint; times are unix seconds.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

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
    difference    BIGINT
);
CREATE INDEX movements_order ON movements (slot, signature);

-- How far the watcher has read an address's signature list.
CREATE TABLE cursors (
    address    TEXT PRIMARY KEY,
    signature  TEXT NOT NULL,
    slot       BIGINT NOT NULL
);

CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY,
    api_key_id       TEXT NOT NULL REFERENCES api_keys (id),
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    secret           TEXT NOT NULL,
    previous_secret  TEXT,
    previous_until   BIGINT,
    created_at       BIGINT NOT NULL
);

CREATE TABLE events (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    invoice_id   TEXT,
    invoice_seq  BIGINT,
    created_at   BIGINT NOT NULL,
    payload      TEXT NOT NULL
);

-- The outbox: one row per (subscription, event), until it is accepted.
CREATE TABLE deliveries (
    webhook_id    TEXT NOT NULL REFERENCES webhooks (id),
    event_seq     BIGINT NOT NULL REFERENCES events (seq),
    status        TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    lease_owner   TEXT,
    lease_until   BIGINT,
    last_error    TEXT,
    delivered_at  BIGINT,
    PRIMARY KEY (webhook_id, event_seq)
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);

CREATE TABLE attempts (
    webhook_id   TEXT NOT NULL,
    event_seq    BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    status_code  BIGINT,
    error        TEXT,
    millis       BIGINT NOT NULL
);
CREATE INDEX attempts_of ON attempts (webhook_id, event_seq);
