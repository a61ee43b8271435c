-- Work shared by several processes: leases with fencing tokens, per-contact event order,
-- and the processes themselves (see migrations/sqlite/0003_leases.sql for the same version).

-- An outbox row being performed is leased: `lease_owner` (a process id from `workers`)
-- holds it until `lease_until`; each claim increments `lease_epoch`, the fencing token the
-- outcome must still carry when it is recorded.
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until BIGINT;
ALTER TABLE outbox ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0;

-- Which contact an event is about (`id:42` or `channel:address`; NULL for webhooks), so a
-- contact's events are processed one after the other even when processes share the queue.
ALTER TABLE event_queue ADD COLUMN contact_key TEXT;
CREATE INDEX event_queue_contact ON event_queue (contact_key, id);

-- The engine processes sharing the store, with their heartbeat.
CREATE TABLE workers (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

-- A timer row is keyed by its run; it never needed an identity of its own.
ALTER TABLE timers ALTER COLUMN run_id DROP IDENTITY;
