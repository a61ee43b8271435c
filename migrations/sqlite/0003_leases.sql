-- Work shared by several processes (PostgreSQL; SQLite runs one process but keeps the same
-- columns so both stores behave alike).

-- An outbox row being performed is leased: `lease_owner` (a process id from `workers`)
-- holds it until `lease_until`; each claim increments `lease_epoch`, the fencing token the
-- outcome must still carry when it is recorded.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE outbox ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;

-- Which contact an event is about (`id:42` or `channel:address`; NULL for webhooks), so a
-- contact's events are processed one after the other even when processes share the queue.
ALTER TABLE event_queue ADD COLUMN contact_key TEXT;
CREATE INDEX event_queue_contact ON event_queue (contact_key, id);

-- The engine processes sharing the store, with their heartbeat.
CREATE TABLE workers (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);
