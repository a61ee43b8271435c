-- The editor's test chat. A session is a fresh contact on the simulator channel playing
-- against a snapshot of a workflow's draft. Its runs carry the version `-contact_id`, so
-- they never mix with published versions' runs and analytics; the contact starts no other
-- workflow (`contacts.test_workflow` says whose sandbox it is).
ALTER TABLE contacts ADD COLUMN test_workflow TEXT;

CREATE TABLE test_sessions (
    contact_id  INTEGER PRIMARY KEY REFERENCES contacts (id),
    workflow_id TEXT NOT NULL,
    source      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
