-- History is kept for a configurable retention and then pruned in the background (see
-- engine/runtime/src/retention.rs); these indexes let the pruning find the oldest rows
-- without reading the rest.
CREATE INDEX outbox_finished ON outbox (done_at) WHERE status IN ('done', 'dead');
CREATE INDEX runs_ended_at ON runs (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX messages_created_at ON messages (created_at);
CREATE INDEX channel_statuses_received_at ON channel_statuses (received_at);
