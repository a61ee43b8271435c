-- Identifiers a channel itself verified (WhatsApp: the sender's number is their wa_id;
-- Telegram: a phone number shared by the sender's own account). A new channel address joins
-- an existing contact only when one of its verified identifiers is listed here for that
-- contact; profile attributes (`contacts.phone`, `contacts.email`), which the API and flows
-- can write, never join contacts.
CREATE TABLE contact_identifiers (
    kind        TEXT NOT NULL,            -- phone
    value       TEXT NOT NULL,            -- +4915112345678
    contact_id  INTEGER NOT NULL REFERENCES contacts (id),
    channel     TEXT NOT NULL,            -- the connection that verified it
    verified_at INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX contact_identifiers_contact ON contact_identifiers (contact_id);

-- WhatsApp contacts from before this migration: their address is their verified number.
INSERT INTO contact_identifiers (kind, value, contact_id, channel, verified_at)
SELECT 'phone', '+' || a.address, a.contact_id, a.channel, c.created_at
FROM contact_addresses a
JOIN channel_connections k ON k.id = a.channel AND k.kind = 'whatsapp'
JOIN contacts c ON c.id = a.contact_id AND c.test_workflow IS NULL
WHERE true
ORDER BY a.contact_id
ON CONFLICT DO NOTHING;

-- The identifiers a queued event's channel verified (JSON, NULL for none). A column of its
-- own, not part of `body`, so an event posted to /api/events can never carry any.
ALTER TABLE event_queue ADD COLUMN verified TEXT;
