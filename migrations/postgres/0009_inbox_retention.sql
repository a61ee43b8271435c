-- Event ids are remembered for deduplication for a limited time (see `DEDUP_RETENTION` in
-- engine/src/runtime/queue.rs); this index lets the pruning find the old ones.
CREATE INDEX inbox_received_at ON inbox (received_at);
