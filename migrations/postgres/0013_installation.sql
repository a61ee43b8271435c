-- Settings of this installation, one row each. `installation_id`: made once when the store is
-- first opened; every idempotency key sent starts with it, so keys from two installations
-- (a restored copy, a second workspace) never collide at a receiver.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
