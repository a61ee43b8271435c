-- Claiming outbox rows walks the pending ones in id order (messages to a contact go out in
-- order). Without an index that matches both the filter and the order, SQLite scanned the
-- whole table by rowid, through every row already sent: claims slowed as the outbox grew.
CREATE INDEX outbox_pending_id ON outbox (id) WHERE status = 'pending';
