-- Idempotency keys (PostgreSQL): a create sent again with the same key gets the
-- first answer back; with another body, a conflict. A row is claimed
-- (pending) before the work, and holds the answer after.
CREATE TABLE idempotency (
    api_key_id      TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_sha256  TEXT NOT NULL,
    status          BIGINT,
    response        TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
