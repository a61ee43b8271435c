-- The answers to API requests sent with an `Idempotency-Key` header (replies, closing,
-- opening, assigning, shortcut presses, simulator messages), per token, for 24 hours: the same
-- key from the same token gets the same answer and no second effect. A row with a NULL
-- `status` is claimed: its request is being handled since `claimed_at` (a claim left by a
-- crashed process is taken over after a minute; see engine/src/runtime/idempotency.rs).
CREATE TABLE idempotency_keys (
    token_id    BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status      INTEGER,
    body        TEXT,
    created_at  BIGINT NOT NULL,
    claimed_at  BIGINT NOT NULL,
    PRIMARY KEY (token_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
