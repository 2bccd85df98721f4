-- The issuance desk's own state (SQLite), beside the service kit's tables.
-- Amounts are USD1 base units (a dollar is 10^6); times are unix seconds.

-- Institutions the issuer serves: their KYB standing and the reference their
-- wires carry (Circle's trackingRef, Paxos's memo id).
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    reference   TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Every KYB change: who, why, when.
CREATE TABLE customer_status (
    seq          INTEGER PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    status       TEXT NOT NULL,
    operator     TEXT NOT NULL,
    why          TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX customer_status_of ON customer_status (customer_id, seq);

-- A customer's wallets: where its USD1 is minted, whence it redeems.
CREATE TABLE wallets (
    address        TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL REFERENCES customers (id),
    registered_at  BIGINT NOT NULL,
    registered_by  TEXT NOT NULL,
    -- Found on a sanctions list (at registration or when a list changed).
    listed_at      BIGINT,
    listed_why     TEXT
);
CREATE INDEX wallets_of ON wallets (customer_id);

-- Where a customer's dollars go out to.
CREATE TABLE bank_accounts (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    holder       TEXT NOT NULL,
    number       TEXT,
    routing      TEXT,
    iban         TEXT,
    bic          TEXT,
    street       TEXT,
    town         TEXT NOT NULL,
    postcode     TEXT,
    country      TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Each bank file taken, once, by the SHA-256 of its bytes.
CREATE TABLE statement_files (
    sha256       TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    format       TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    entries      BIGINT NOT NULL,
    new_entries  BIGINT NOT NULL,
    imported_at  BIGINT NOT NULL
);

-- Each bank entry once, by its identity within its account, whichever file
-- (camt.052, camt.054, camt.053, BAI2) brought it first; its status as last seen.
CREATE TABLE bank_entries (
    account       TEXT NOT NULL,
    identity      TEXT NOT NULL,
    direction     TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    status        TEXT NOT NULL,
    reversal      BIGINT NOT NULL,
    booking_date  TEXT,
    remittance    TEXT NOT NULL,
    debtor        TEXT,
    -- The first payment's EndToEndId (or UETR): a reversal names it.
    end_to_end_id TEXT,
    file_sha256   TEXT NOT NULL REFERENCES statement_files (sha256),
    seen_at       BIGINT NOT NULL,
    PRIMARY KEY (account, identity)
);

-- Money in: one per incoming entry. `reference_hash` is what the mint's memo
-- carries on-chain (the SHA-256 of the account and the entry's identity).
CREATE TABLE deposits (
    id              TEXT PRIMARY KEY,
    account         TEXT NOT NULL,
    identity        TEXT NOT NULL,
    customer_id     TEXT REFERENCES customers (id),
    amount          BIGINT NOT NULL,
    reference_hash  TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL,
    why             TEXT,
    case_id         TEXT,
    -- The case history entry that released it from its hold.
    released_by     BIGINT,
    -- The case a reversal after the mint opened.
    return_case_id  TEXT,
    wallet          TEXT,
    proposed_by     TEXT,
    approved_by     TEXT,
    mint_signature  TEXT,
    event_seq       BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (account, identity)
);
CREATE INDEX deposits_state ON deposits (state, created_at);

-- Every mint transaction signed for a deposit, recorded before it is sent:
-- after a crash the chain says which (if any) landed.
CREATE TABLE mint_attempts (
    signature          TEXT PRIMARY KEY,
    deposit_id         TEXT NOT NULL REFERENCES deposits (id),
    blockhash          TEXT NOT NULL,
    last_valid_height  BIGINT,
    at                 BIGINT NOT NULL
);
CREATE INDEX mint_attempts_of ON mint_attempts (deposit_id);

-- The dollar ledger: every booking's postings sum to zero.
CREATE TABLE postings (
    seq      INTEGER PRIMARY KEY,
    booking  TEXT NOT NULL,
    what     TEXT NOT NULL,
    account  TEXT NOT NULL,
    amount   BIGINT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX postings_of ON postings (account, seq);
