-- Delivery statuses a channel reported before Switchboard recorded the message's id (the
-- status webhook can beat the answer to the send); applied once the id is recorded.
CREATE TABLE channel_statuses (
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (channel, external_id, status)
);
CREATE INDEX channel_statuses_external ON channel_statuses (external_id);

-- Of a message a channel takes in several calls (attachments, then the text): how many calls
-- an attempt got through, so a retry does not send them again.
ALTER TABLE outbox ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;
