//! The rows of the OpenAPI document: every route with its summary, who may call it, what it
//! takes and what it answers (the handlers' own request and answer types, through schemars),
//! and the links between operations.

use super::{op, schema, Access, Operation};
use crate::answers;
use crate::{channels, dead_letters, events, inbox, live, runs, secrets, simulator, testchat, tokens, workflows};
use runtime::AgentSpec;

const OPS: Access = Access::Roles(&["ops"]);
const AGENT: Access = Access::Roles(&["agent"]);
const ADMIN: Access = Access::Roles(&["admin"]);
const INTEGRATION: Access = Access::Roles(&["integration"]);
const AGENT_OR_OPS: Access = Access::Roles(&["agent", "ops"]);
const ANY: Access = Access::Roles(&["ops", "agent", "integration"]);

/// Every route the server answers, in the router's order.
pub const OPERATIONS: &[Operation] = &[
    op("get", "/healthz", "Liveness: the process answers", Access::Public)
.answers(schema::<answers::Health>),
    op("get", "/readyz", "Readiness: the database answers, every background loop runs and no waiting work is older than its threshold (503 `not_ready` otherwise, with the report in `details`)", Access::Public)
.answers(schema::<answers::Ready>),
    op("get", "/metrics", "Prometheus metrics (text exposition format)", Access::Public),
    op("get", "/api/openapi.json", "This document", Access::Public)
.answers(schema::<crate::JsonObject>),
    op("get", "/api/kinds", "The step kinds, their ports, settings and outputs", Access::Public)
.answers(schema::<Vec<answers::KindInfo>>),
    op("get", "/api/schema", "JSON Schema of the workflow file format", Access::Public)
.answers(schema::<crate::JsonObject>),
    op("get", "/api/workflows", "Workflows with their live version and run counts", OPS)
.answers(schema::<Vec<answers::WorkflowSummary>>),
    op("post", "/api/workflows", "Create a workflow (409 if the id is taken)", OPS)
.answers(schema::<answers::DraftSaved>)
        .body(schema::<workflows::DraftBody>)
        .ok(201),
    op(
        "post",
        "/api/workflows/import",
        "Import a workflow file (creates or replaces the draft; optionally publishes)",
        OPS,
    )
.answers(schema::<answers::Imported>)
    .query(schema::<workflows::ImportQuery>)
    .workflow_file()
    .ok(201),
    op("get", "/api/workflows/{id}", "A workflow: draft, live version, diagnostics", OPS)
.answers(schema::<answers::WorkflowDetail>)
        .query(schema::<workflows::Format>),
    op("put", "/api/workflows/{id}/draft", "Save the draft (409 with a diff if someone saved first)", OPS)
.answers(schema::<answers::DraftSaved>)
        .body(schema::<workflows::DraftBody>),
    op("post", "/api/workflows/{id}/publish", "Publish the draft as a new immutable version (an unchanged draft answers the current version, `unchanged: true`)", OPS)
.answers(schema::<answers::Published>)
        .optional_body(schema::<workflows::PublishBody>),
    op("get", "/api/workflows/{id}/versions", "Published versions", OPS)
.answers(schema::<Vec<answers::VersionInfo>>),
    op("get", "/api/workflows/{id}/versions/{version}", "One published version", OPS)
.answers(schema::<answers::VersionInfo>)
        .query(schema::<workflows::Format>),
    op("get", "/api/workflows/{id}/diff", "Diff between two versions", OPS)
.answers(schema::<answers::VersionDiff>).query(schema::<workflows::DiffQuery>),
    op("get", "/api/workflows/{id}/figures", "Per-step run figures of a published version (runs on the canvas)", OPS)
.answers(schema::<answers::VersionFigures>)
        .query(schema::<workflows::FiguresQuery>),
    op("post", "/api/workflows/{id}/rollback", "Publish an earlier version again", OPS)
.answers(schema::<answers::RolledBack>)
        .body(schema::<workflows::RollbackBody>),
    op("post", "/api/workflows/{id}/stop", "Stop starting runs (optionally cancel those under way)", OPS)
.answers(schema::<answers::Stopped>)
        .optional_body(schema::<workflows::StopBody>),
    op("post", "/api/workflows/{id}/start", "Start again a stopped workflow", OPS)
.answers(schema::<answers::Restarted>),
    op("get", "/api/workflows/{id}/export", "The workflow file (YAML)", OPS),
    op("post", "/api/workflows/{id}/webhook-secret", "Create or rotate a webhook workflow's signing secret", OPS)
.answers(schema::<answers::WebhookSecret>),
    op("post", "/api/events", "Send one event or a batch (stored before the answer; ids deduplicate)", INTEGRATION)
.answers(schema::<answers::EventsAccepted>)
        .body(schema::<events::OneOrMany>)
        .ok(202),
    op("post", "/api/webhooks/{workflow}", "Signed webhook: starts the workflow", Access::Signed)
.answers(schema::<answers::WebhookAccepted>).ok(202),
    op("post", "/api/shortcuts/{workflow}", "An agent presses a shortcut on a conversation", AGENT)
.answers(schema::<answers::ShortcutPressed>)
        .body(schema::<events::ShortcutBody>)
        .ok(201)
        .idempotent(),
    op("get", "/api/contacts", "Contacts the caller may see, newest first", AGENT)
.answers(schema::<Vec<answers::ContactView>>).query(schema::<inbox::Page>),
    op("get", "/api/contacts/{id}", "A contact with conversation, tags, fields and runs", AGENT)
.answers(schema::<answers::ContactView>),
    op("get", "/api/contacts/{id}/messages", "The contact's transcript, oldest first", AGENT)
.answers(schema::<Vec<answers::TimelineLine>>)
        .query(schema::<inbox::Page>),
    op("post", "/api/contacts/{id}/messages", "An agent replies to the contact", AGENT)
.answers(schema::<answers::Replied>)
        .body(schema::<inbox::ReplyBody>)
        .ok(201)
        .idempotent(),
    op("post", "/api/contacts/{id}/close", "Close the conversation", AGENT)
.answers(schema::<answers::ConversationClosed>)
        .body(schema::<inbox::CloseBody>)
        .idempotent(),
    op("post", "/api/contacts/{id}/open", "Open a conversation", AGENT)
.answers(schema::<answers::ConversationOpened>).idempotent(),
    op("post", "/api/contacts/{id}/assign", "Assign or unassign the conversation", AGENT_OR_OPS)
.answers(schema::<answers::Assigned>)
        .body(schema::<inbox::AssignBody>)
        .idempotent(),
    op("get", "/api/conversations", "Conversations the caller may see, by status, assignee, team", AGENT)
.answers(schema::<Vec<answers::ConversationRow>>)
        .query(schema::<inbox::ConversationQuery>),
    op("get", "/api/queue", "Contacts waiting for an agent, with how long they have waited", AGENT_OR_OPS)
.answers(schema::<Vec<answers::QueuedContact>>),
    op("get", "/api/agents", "Agents, their teams, status and load", AGENT)
.answers(schema::<Vec<answers::Agent>>),
    op("put", "/api/agents/{id}", "Create or update an agent", ADMIN)
.answers(schema::<AgentSpec>).body(schema::<AgentSpec>),
    op("post", "/api/agents/{id}/online", "Set an agent online or away", AGENT_OR_OPS)
.answers(schema::<answers::AgentOnline>)
        .body(schema::<inbox::OnlineBody>),
    op("get", "/api/shortcuts", "Shortcuts the calling agent may press", AGENT)
.answers(schema::<Vec<answers::Shortcut>>),
    op("get", "/api/live", "Live updates as server-sent events", Access::Roles(&["ops", "agent", "integration"]))
        .query(schema::<live::LiveQuery>),
    op("get", "/api/runs", "Runs, newest first", OPS)
.answers(schema::<Vec<answers::RunRow>>).query(schema::<runs::RunQuery>),
    op("post", "/api/runs/cancel", "Cancel runs of a workflow in bulk", OPS)
.answers(schema::<answers::Cancelled>).body(schema::<runs::CancelBody>),
    op("get", "/api/runs/{id}", "A run with its journal, its path and why it is waiting", OPS)
.answers(schema::<answers::RunDetail>),
    op("post", "/api/runs/{id}/cancel", "Cancel a run", OPS)
.answers(schema::<answers::Cancelled>),
    op("post", "/api/runs/{id}/retry", "Retry a failed run from the step that failed", OPS)
.answers(schema::<answers::RunInfo>),
    op(
        "post",
        "/api/messages/{id}/resend",
        "Send again a message whose delivery is unknown (a channel that cannot deduplicate timed out)",
        OPS,
    )
.answers(schema::<answers::Resent>),
    op("get", "/api/me", "Who the caller is: token name, role, and the agent of an agent token", ANY)
.answers(schema::<answers::Me>),
    op(
        "post",
        "/api/simulator/messages",
        "A simulator contact writes or presses a button (the contact page)",
        INTEGRATION,
    )
.answers(schema::<answers::SimulatorSaid>)
    .body(schema::<simulator::SimulatedMessage>)
    .ok(201)
    .idempotent(),
    op("get", "/api/simulator/contacts/{address}", "What a simulator contact sees of their conversation", INTEGRATION)
.answers(schema::<answers::SimulatorConversation>),
    op("get", "/api/tokens", "API tokens (never the tokens themselves)", ADMIN)
.answers(schema::<Vec<answers::TokenListed>>).query(schema::<tokens::TokenQuery>),
    op("post", "/api/tokens", "Create an API token; the answer is the only time it is shown", ADMIN)
.answers(schema::<answers::TokenCreated>)
        .body(schema::<tokens::NewToken>)
        .ok(201),
    op("delete", "/api/tokens/{id}", "Revoke an API token (not the last admin token)", ADMIN)
.answers(schema::<answers::TokenRevoked>),
    op(
        "post",
        "/api/compile",
        "Compile a draft without saving: diagnostics, each step's ports, warnings on assignment targets",
        OPS,
    )
.answers(schema::<answers::Compiled>)
    .body(schema::<workflows::CompileBody>),
    op("post", "/api/test-sessions", "Start a test chat against a draft (sandboxed contact)", OPS)
.answers(schema::<answers::TestStarted>)
        .body(schema::<testchat::StartBody>)
        .ok(201),
    op("get", "/api/test-sessions/{id}", "A test chat: timeline, runs with their paths, next timer", OPS)
.answers(schema::<answers::TestSession>),
    op("delete", "/api/test-sessions/{id}", "End a test chat (cancels its runs under way)", OPS)
.answers(schema::<answers::Cancelled>),
    op("post", "/api/test-sessions/{id}/messages", "The tester writes or presses a button, as the contact", OPS)
.answers(schema::<answers::TestSaid>)
        .body(schema::<testchat::SayBody>)
        .ok(201),
    op("post", "/api/test-sessions/{id}/close", "The tester closes the conversation, as an agent", OPS)
.answers(schema::<answers::TestClosed>)
        .optional_body(schema::<testchat::CloseBody>),
    op("post", "/api/test-sessions/{id}/fast-forward", "Make the test chat's waiting timers due now", OPS)
.answers(schema::<answers::FastForwarded>),
    op("put", "/api/test-sessions/{id}/clock", "Set the time the test chat pretends it is (null: the real time)", OPS)
.answers(schema::<answers::TestClock>)
        .body(schema::<testchat::ClockBody>),
    op("get", "/api/channels", "Channel connections (secrets by name only) with this month's usage", OPS)
.answers(schema::<answers::ConnectionList>),
    op("post", "/api/channels/preview", "How a message renders on WhatsApp, LINE and Telegram", OPS)
.answers(schema::<answers::ChannelPreviews>)
        .body(schema::<channels::PreviewBody>),
    op("get", "/api/channels/{id}", "A channel connection (secrets by name only)", OPS)
.answers(schema::<answers::ConnectionView>),
    op("put", "/api/channels/{id}", "Create or change a channel connection (secrets are write-only)", ADMIN)
.answers(schema::<answers::ConnectionView>)
        .body(schema::<runtime::channels::ConnectionInput>),
    op("delete", "/api/channels/{id}", "Remove a channel connection", ADMIN).ok(204),
    op(
        "get",
        "/api/channels/{id}/webhook",
        "WhatsApp's webhook verification (echoes hub.challenge)",
        Access::ChannelSigned,
    )
    .query(schema::<channels::Handshake>),
    op(
        "post",
        "/api/channels/{id}/webhook",
        "A channel delivers messages and statuses (signed by the channel)",
        Access::ChannelSigned,
    )
.answers(schema::<answers::ChannelDelivery>),
    op(
        "get",
        "/api/dead-letters",
        "Events that could not be processed, newest first, with reason and payload (cursor pages: X-Next-Cursor)",
        OPS,
    )
.answers(schema::<Vec<runtime::DeadLetter>>)
    .query(schema::<dead_letters::DeadLetterQuery>),
    op("delete", "/api/dead-letters/{id}", "Discard a dead letter", OPS).ok(204),
    op("post", "/api/dead-letters/{id}/retry", "Queue a dead letter's event again (the dead letter is removed)", OPS)
.answers(schema::<answers::DeadLetterRequeued>),
    op("get", "/api/secrets", "Workspace secrets by name and date (never their values)", OPS)
.answers(schema::<crate::secrets::SecretList>),
    op(
        "put",
        "/api/secrets/{name}",
        "Set a workspace secret (write-only; HTTP steps read it as {{ secrets.NAME }})",
        ADMIN,
    )
.answers(schema::<runtime::SecretInfo>)
    .body(schema::<secrets::SecretValue>),
    op("delete", "/api/secrets/{name}", "Remove a workspace secret", ADMIN).ok(204),
];

/// OpenAPI links: how the answer of one operation feeds the next (`from` method and path,
/// the link's name, the target's method and path, and its parameters as runtime
/// expressions). Clients and the API fuzzer's stateful phase follow them: create a workflow,
/// then read, save, publish and export it; start a test chat, then talk in it and end it.
pub type Link =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [(&'static str, &'static str)]);

const CREATED_ID: &[(&str, &str)] = &[("id", "$response.body#/id")];
const SAME_ID: &[(&str, &str)] = &[("id", "$request.path.id")];
/// A test chat is named by its `session` (its contact's id).
const CREATED_SESSION: &[(&str, &str)] = &[("id", "$response.body#/session")];

pub const LINKS: &[Link] = &[
    ("post", "/api/workflows", "Workflow", "get", "/api/workflows/{id}", CREATED_ID),
    ("post", "/api/workflows", "SaveDraft", "put", "/api/workflows/{id}/draft", CREATED_ID),
    ("post", "/api/workflows", "Publish", "post", "/api/workflows/{id}/publish", CREATED_ID),
    ("post", "/api/workflows", "Versions", "get", "/api/workflows/{id}/versions", CREATED_ID),
    ("post", "/api/workflows", "Export", "get", "/api/workflows/{id}/export", CREATED_ID),
    ("post", "/api/workflows", "Figures", "get", "/api/workflows/{id}/figures", CREATED_ID),
    ("post", "/api/workflows", "Stop", "post", "/api/workflows/{id}/stop", CREATED_ID),
    ("post", "/api/workflows/{id}/stop", "Start", "post", "/api/workflows/{id}/start", SAME_ID),
    ("put", "/api/workflows/{id}/draft", "Publish", "post", "/api/workflows/{id}/publish", SAME_ID),
    ("post", "/api/workflows/{id}/publish", "Versions", "get", "/api/workflows/{id}/versions", SAME_ID),
    ("post", "/api/test-sessions", "Session", "get", "/api/test-sessions/{id}", CREATED_SESSION),
    ("post", "/api/test-sessions", "Say", "post", "/api/test-sessions/{id}/messages", CREATED_SESSION),
    ("post", "/api/test-sessions", "Close", "post", "/api/test-sessions/{id}/close", CREATED_SESSION),
    ("post", "/api/test-sessions", "FastForward", "post", "/api/test-sessions/{id}/fast-forward", CREATED_SESSION),
    ("post", "/api/test-sessions", "Clock", "put", "/api/test-sessions/{id}/clock", CREATED_SESSION),
    ("post", "/api/test-sessions", "End", "delete", "/api/test-sessions/{id}", CREATED_SESSION),
    ("put", "/api/agents/{id}", "Online", "post", "/api/agents/{id}/online", SAME_ID),
    ("put", "/api/channels/{id}", "Connection", "get", "/api/channels/{id}", SAME_ID),
    ("put", "/api/channels/{id}", "Remove", "delete", "/api/channels/{id}", SAME_ID),
];
