-- Issue 33. Every key belongs to one named person (the operator its case
-- actions are recorded under); a webhook can be deleted; each history entry
-- carries an HMAC keyed outside the database; a release of held payments is
-- proposed and approved as a freeze is; a held payment keeps the token
-- accounts it came from; a movement seen at `confirmed` is checked again at
-- `finalized` and may be reversed; list versions an operator confirmed.
ALTER TABLE api_keys ADD COLUMN operator TEXT;
ALTER TABLE webhooks ADD COLUMN deleted_at BIGINT;
ALTER TABLE case_history ADD COLUMN mac TEXT;
ALTER TABLE cases ADD COLUMN release_proposed_by TEXT;
ALTER TABLE cases ADD COLUMN release_proposed_key TEXT;
ALTER TABLE held_payments ADD COLUMN accounts TEXT;
ALTER TABLE movements ADD COLUMN finalized_at BIGINT;
ALTER TABLE movements ADD COLUMN reversed_at BIGINT;
ALTER TABLE movements ADD COLUMN recorded_at BIGINT;

CREATE TABLE list_versions (
    sha256      TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    operator    TEXT NOT NULL,
    api_key_id  TEXT,
    confirmed_at BIGINT NOT NULL
);
