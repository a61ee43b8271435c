-- Messaging channels (WhatsApp, LINE, Telegram).

-- The accounts the workspace connects. `id` is the channel name messages and steps use;
-- `secrets` (JSON) is write-only through the API.
CREATE TABLE channel_connections (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,             -- whatsapp | line | telegram
    name       TEXT NOT NULL,
    api_base   TEXT NOT NULL,
    settings   TEXT NOT NULL DEFAULT '{}',
    secrets    TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Messages counted against a connection's monthly quota (LINE), per calendar month (UTC).
CREATE TABLE channel_usage (
    connection_id TEXT NOT NULL,
    month         TEXT NOT NULL,          -- 2026-11
    sent          INTEGER NOT NULL,
    PRIMARY KEY (connection_id, month)
);

-- Per channel, the contact's address, when they last wrote there (WhatsApp's 24-hour
-- window) and whether they follow the account (LINE friends, Telegram not blocked):
-- {"whatsapp": {"address": "15551234567", "last_inbound_at": 1700000000000, "follows": true}}
ALTER TABLE contacts ADD COLUMN channels TEXT NOT NULL DEFAULT '{}';

-- The channel's id for a sent message, so its delivery and read statuses find it.
ALTER TABLE messages ADD COLUMN external_id TEXT;
CREATE INDEX messages_external ON messages (channel, external_id) WHERE external_id IS NOT NULL;
