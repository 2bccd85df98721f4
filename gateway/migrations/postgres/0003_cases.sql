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
    hash       TEXT NOT NULL
);
CREATE INDEX case_history_of ON case_history (case_id, seq);

-- One row: the chain's last entry (its row lock orders two writers).
CREATE TABLE case_chain (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    head  TEXT NOT NULL
);
INSERT INTO case_chain (id, seq, head) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- A listed sender's payment, held until its case is decided.
CREATE TABLE held_payments (
    signature    TEXT PRIMARY KEY REFERENCES movements (signature),
    case_id      TEXT NOT NULL REFERENCES cases (id),
    invoice_id   TEXT REFERENCES invoices (id),
    amount       BIGINT NOT NULL,
    payment      TEXT NOT NULL,
    released_at  BIGINT,
    -- The history entry that released it.
    released_by  BIGINT
);
CREATE INDEX held_payments_of ON held_payments (case_id);

-- Case files as written (a report, the order a freeze cites), by SHA-256.
CREATE TABLE case_files (
    sha256      TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
