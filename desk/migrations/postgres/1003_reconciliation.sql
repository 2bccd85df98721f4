-- Statement balances (PostgreSQL): each account's booked balances by date, as the
-- newest statement of that date states them; and each day's reconciliation.
CREATE TABLE statement_balances (
    account      TEXT NOT NULL,
    date         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    file_sha256  TEXT NOT NULL,
    PRIMARY KEY (account, date, kind)
);

CREATE TABLE reconciliations (
    id           TEXT PRIMARY KEY,
    date         TEXT NOT NULL,
    balanced     BIGINT NOT NULL,
    report       TEXT NOT NULL,
    case_id      TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX reconciliations_of ON reconciliations (date, created_at);
