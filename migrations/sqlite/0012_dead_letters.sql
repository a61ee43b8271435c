-- Dead letters (issue 16). A queued event that fails for a reason that is not its own (an
-- error the database gives for this event alone, neither a data error nor a lost
-- connection) is tried again; `attempts` counts the tries and `last_error` keeps the latest
-- reason. After a few it moves to `event_failures`, the dead letters.
ALTER TABLE event_queue ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE event_queue ADD COLUMN last_error TEXT;
-- A dead letter keeps what retrying it re-enqueues: the identifiers its channel verified
-- and how many times it was tried.
ALTER TABLE event_failures ADD COLUMN verified TEXT;
ALTER TABLE event_failures ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX event_failures_failed_at ON event_failures (failed_at);
