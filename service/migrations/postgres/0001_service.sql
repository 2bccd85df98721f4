-- What every service keeps (PostgreSQL): API keys, webhook subscriptions, the
-- transactional outbox (events, one delivery row per subscription, every
-- attempt) and compliance cases with their history. Times are unix seconds.
-- A service's own tables follow in its migrations, numbered from 1000.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    -- The one named person the key belongs to.
    operator    TEXT
);

CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY,
    api_key_id       TEXT NOT NULL REFERENCES api_keys (id),
    url              TEXT NOT NULL,
    events           TEXT NOT NULL,
    secret           TEXT NOT NULL,
    previous_secret  TEXT,
    previous_until   BIGINT,
    created_at       BIGINT NOT NULL,
    deleted_at       BIGINT
);

-- An event of a stream (an invoice, a deposit) carries its place in it.
CREATE TABLE events (
    seq          BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    stream_id    TEXT,
    stream_seq   BIGINT,
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

-- Compliance cases: a screened subject, what opened it, its status and
-- decisions; every action on it is a row of `case_history`, append-only and
-- hash-chained across all cases (`case_chain` holds the chain's head).
CREATE TABLE cases (
    id                   TEXT PRIMARY KEY,
    subject              TEXT NOT NULL,
    reason               TEXT NOT NULL,
    hits                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    assignee             TEXT,
    freeze_reason_code   BIGINT,
    freeze_proposed_by   TEXT,
    freeze_proposed_key  TEXT,
    freeze_order_sha256  TEXT,
    freeze_signature     TEXT,
    release_proposed_by  TEXT,
    release_proposed_key TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX cases_subject ON cases (subject, status);

CREATE TABLE case_history (
    seq        BIGINT PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES cases (id),
    at         BIGINT NOT NULL,
    operator   TEXT NOT NULL,
    api_key_id TEXT,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    why        TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL,
    -- HMAC of the entry, keyed outside the database.
    mac        TEXT
);
CREATE INDEX case_history_of ON case_history (case_id, seq);

-- One row: the chain's last entry (its row lock orders two writers).
CREATE TABLE case_chain (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    head  TEXT NOT NULL
);
INSERT INTO case_chain (id, seq, head) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Case files as written (a report, the order a freeze cites), by SHA-256.
CREATE TABLE case_files (
    sha256      TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
