-- Switchboard's store, SQLite flavour. Times are milliseconds since the Unix epoch (INTEGER);
-- JSON documents are TEXT. The PostgreSQL migrations use the same version numbers.

-- Contacts: the people messaging in, with standard and custom fields and tags.
CREATE TABLE contacts (
    id              INTEGER PRIMARY KEY,
    name            TEXT,
    first_name      TEXT,
    last_name       TEXT,
    email           TEXT,
    phone           TEXT,
    country         TEXT,
    language        TEXT,
    lifecycle       TEXT,
    last_channel    TEXT,
    last_inbound_at INTEGER,
    opted_out       INTEGER NOT NULL DEFAULT 0,
    fields          TEXT NOT NULL DEFAULT '{}',
    tags            TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX contacts_email ON contacts (email) WHERE email IS NOT NULL;
CREATE INDEX contacts_phone ON contacts (phone) WHERE phone IS NOT NULL;

-- One address per channel (a WhatsApp number, a LINE user id, ...) maps to one contact.
CREATE TABLE contact_addresses (
    channel    TEXT NOT NULL,
    address    TEXT NOT NULL,
    contact_id INTEGER NOT NULL REFERENCES contacts (id),
    PRIMARY KEY (channel, address)
) WITHOUT ROWID;
CREATE INDEX contact_addresses_contact ON contact_addresses (contact_id);

CREATE TABLE teams (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

-- Agents: online status, a cap on open conversations, and when they were last assigned
-- (round-robin picks the one assigned longest ago).
CREATE TABLE agents (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    email            TEXT UNIQUE,
    online           INTEGER NOT NULL DEFAULT 0,
    max_open         INTEGER,
    last_assigned_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agent_teams (
    agent_id TEXT NOT NULL REFERENCES agents (id),
    team_id  TEXT NOT NULL REFERENCES teams (id),
    PRIMARY KEY (agent_id, team_id)
) WITHOUT ROWID;

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    contact_id       INTEGER NOT NULL REFERENCES contacts (id),
    status           TEXT NOT NULL,            -- open | closed
    channel          TEXT,
    assignee_id      TEXT REFERENCES agents (id),
    team             TEXT,
    priority         TEXT NOT NULL DEFAULT 'normal',
    opened_at        INTEGER NOT NULL,
    opened_by        TEXT NOT NULL,            -- contact | user | workflow
    closed_at        INTEGER,
    closing_category TEXT,
    closing_summary  TEXT,
    closed_by        TEXT
);
CREATE INDEX conversations_contact ON conversations (contact_id, status);
CREATE INDEX conversations_assignee_open ON conversations (assignee_id) WHERE status = 'open';

-- Every message in and out, and internal notes.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    contact_id      INTEGER NOT NULL REFERENCES contacts (id),
    conversation_id INTEGER,
    direction       TEXT NOT NULL,             -- in | out | note | system
    sender          TEXT NOT NULL,             -- contact | agent:<id> | run:<id> | system
    channel         TEXT,
    text            TEXT,
    body            TEXT NOT NULL DEFAULT '{}',
    run_id          INTEGER,
    idempotency_key TEXT UNIQUE,
    status          TEXT NOT NULL,             -- received | pending | sent | failed | note
    error           TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_contact ON messages (contact_id, id);

-- Workflows: the editable draft, and immutable published versions.
CREATE TABLE workflows (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL,             -- draft | published | stopped
    draft           TEXT NOT NULL,
    draft_revision  INTEGER NOT NULL DEFAULT 1,
    current_version INTEGER,
    trigger_type    TEXT,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE workflow_versions (
    workflow_id  TEXT NOT NULL REFERENCES workflows (id),
    version      INTEGER NOT NULL,
    source       TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, version)
);

-- Runs: one contact in one workflow version. A waiting run is only this row (plus a timer).
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY,
    workflow_id     TEXT NOT NULL,
    version         INTEGER NOT NULL,
    contact_id      INTEGER NOT NULL REFERENCES contacts (id),
    status          TEXT NOT NULL,             -- running | waiting | completed | failed | cancelled | exited
    step            TEXT,
    visit           INTEGER NOT NULL DEFAULT 0,
    visits          TEXT NOT NULL DEFAULT '{}',
    state           TEXT,
    wait_kind       TEXT,                      -- effect | reply | timer | agent
    wait_data       TEXT,
    waiting_since   INTEGER,
    due_at          INTEGER,
    vars            TEXT NOT NULL DEFAULT '{}',
    seq             INTEGER NOT NULL DEFAULT 0,
    origin          TEXT NOT NULL DEFAULT '[]',
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    ended_at        INTEGER
);
CREATE INDEX runs_active ON runs (contact_id, workflow_id) WHERE status IN ('running', 'waiting');
CREATE INDEX runs_waiting_reply ON runs (contact_id, waiting_since) WHERE status = 'waiting' AND wait_kind = 'reply';
CREATE INDEX runs_agent_queue ON runs (waiting_since) WHERE status = 'waiting' AND wait_kind = 'agent';
CREATE INDEX runs_workflow ON runs (workflow_id, version, status);

-- The journal: what each step decided (intent) and how each effect turned out (outcome).
CREATE TABLE run_journal (
    run_id INTEGER NOT NULL,
    seq    INTEGER NOT NULL,
    at     INTEGER NOT NULL,
    step   TEXT,
    visit  INTEGER,
    kind   TEXT NOT NULL,                      -- start | transition | outcome | end | cancel | exit | error
    data   TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

-- At most one timer per run: the due time of what it waits on. `token` is the run's journal
-- seq when the timer was set, so a stale timer never fires into a later wait.
CREATE TABLE timers (
    run_id INTEGER PRIMARY KEY,
    due_at INTEGER NOT NULL,
    token  INTEGER NOT NULL
);
CREATE INDEX timers_due ON timers (due_at);

-- Outbound effects (messages, HTTP calls) waiting to be performed, with their idempotency key
-- (a message's row in `messages` carries the same key).
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER,
    contact_id      INTEGER,
    kind            TEXT NOT NULL,             -- message | http
    idempotency_key TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    awaited         INTEGER NOT NULL,          -- 1: a run waits for the outcome; 2: only a failure matters (a question)
    token           INTEGER NOT NULL,          -- the run's seq when it was written
    status          TEXT NOT NULL,             -- pending | done | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    done_at         INTEGER
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_pending_contact ON outbox (contact_id, id) WHERE status = 'pending';

-- Inbound events already accepted, by the sender's id, so a redelivery is ignored.
CREATE TABLE inbox (
    source      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (source, event_id)
) WITHOUT ROWID;

-- Contacts ever enrolled in a workflow ("trigger once per contact").
CREATE TABLE enrollments (
    workflow_id TEXT NOT NULL,
    contact_id  INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, contact_id)
) WITHOUT ROWID;

-- Triggers held back because the contact was already in the workflow (`when_active: queue`).
CREATE TABLE queued_triggers (
    id          INTEGER PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    contact_id  INTEGER NOT NULL,
    trigger     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX queued_triggers_contact ON queued_triggers (workflow_id, contact_id, id);

-- When each schedule-triggered workflow fires next. A firing walks the contacts in pages;
-- `firing_at` and `cursor` (the last contact id done) let a crash resume it midway.
CREATE TABLE schedules (
    workflow_id TEXT PRIMARY KEY,
    next_at     INTEGER NOT NULL,
    firing_at   INTEGER,
    cursor      INTEGER NOT NULL DEFAULT 0
);

-- Accepted events not yet processed. Accepting (a durable insert) is separate from
-- processing, so nothing accepted is lost in a crash and many events share one commit.
CREATE TABLE event_queue (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    event_id    TEXT,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL
);

-- Events that could not be processed (an unknown workflow, a contact that does not exist),
-- kept with the reason instead of being dropped.
CREATE TABLE event_failures (
    id        INTEGER PRIMARY KEY,
    source    TEXT NOT NULL,
    event_id  TEXT,
    body      TEXT NOT NULL,
    error     TEXT NOT NULL,
    failed_at INTEGER NOT NULL
);

-- API tokens: only a SHA-256 hash of each token is stored. Roles: admin, ops, agent,
-- integration. An agent token acts as `agent_id`.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    agent_id     TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- Every saved draft, so a refused save (someone else saved in between) can show what changed.
CREATE TABLE workflow_drafts (
    workflow_id TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    source      TEXT NOT NULL,
    saved_at    INTEGER NOT NULL,
    saved_by    TEXT,
    PRIMARY KEY (workflow_id, revision)
);

-- Secrets of signed incoming webhooks, per workflow.
CREATE TABLE webhook_secrets (
    workflow_id TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
