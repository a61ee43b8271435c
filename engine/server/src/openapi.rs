//! The OpenAPI 3.1 description of the HTTP API, served at `/api/openapi.json` and printed by
//! `switchboard openapi`. Every route is one row of `OPERATIONS`; request bodies and query
//! parameters come from the handlers' own types (schemars), so they cannot drift from what
//! the server accepts. A test checks that the rows and the router list the same routes.

use super::{channels, dead_letters, events, inbox, live, runs, secrets, simulator, testchat, tokens, workflows};
use runtime::AgentSpec;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::JsonSchema;
use serde_json::{json, Map, Value};

/// Who may call an operation (an admin token may call every one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token.
    Public,
    /// A bearer token with one of these roles.
    Roles(&'static [&'static str]),
    /// An HMAC signature made with the workflow's webhook secret.
    Signed,
    /// The channel's own signature (`X-Hub-Signature-256`, `X-Line-Signature`,
    /// `X-Telegram-Bot-Api-Secret-Token`) made with the connection's secret.
    ChannelSigned,
}

/// What a request carries besides path parameters.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    None,
    /// A JSON body of this type.
    Json(fn(&mut SchemaGenerator) -> schemars::Schema),
    /// A JSON body of this type, or none.
    OptionalJson(fn(&mut SchemaGenerator) -> schemars::Schema),
    /// A workflow file, YAML or JSON text.
    WorkflowFile,
}

/// One route and method.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub access: Access,
    pub query: Option<fn(&mut SchemaGenerator) -> schemars::Schema>,
    pub input: Input,
    /// The status of a successful answer.
    pub ok: u16,
    /// Takes an `Idempotency-Key` header (see `idempotency.rs`).
    pub idempotent: bool,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

const OPS: Access = Access::Roles(&["ops"]);
const AGENT: Access = Access::Roles(&["agent"]);
const ADMIN: Access = Access::Roles(&["admin"]);
const INTEGRATION: Access = Access::Roles(&["integration"]);
const AGENT_OR_OPS: Access = Access::Roles(&["agent", "ops"]);
const ANY: Access = Access::Roles(&["ops", "agent", "integration"]);

const fn op(method: &'static str, path: &'static str, summary: &'static str, access: Access) -> Operation {
    Operation { method, path, summary, access, query: None, input: Input::None, ok: 200, idempotent: false }
}

/// Builders, so every row of `OPERATIONS` reads the same way:
/// `op(method, path, summary, access).query(..).body(..).ok(..)`.
impl Operation {
    const fn query(mut self, q: fn(&mut SchemaGenerator) -> schemars::Schema) -> Operation {
        self.query = Some(q);
        self
    }

    const fn body(mut self, b: fn(&mut SchemaGenerator) -> schemars::Schema) -> Operation {
        self.input = Input::Json(b);
        self
    }

    /// A JSON body that may be left out (then its defaults apply).
    const fn optional_body(mut self, b: fn(&mut SchemaGenerator) -> schemars::Schema) -> Operation {
        self.input = Input::OptionalJson(b);
        self
    }

    const fn workflow_file(mut self) -> Operation {
        self.input = Input::WorkflowFile;
        self
    }

    const fn ok(mut self, status: u16) -> Operation {
        self.ok = status;
        self
    }

    /// The operation acts, and a retry with the same `Idempotency-Key` acts once.
    const fn idempotent(mut self) -> Operation {
        self.idempotent = true;
        self
    }
}

/// Every route the server answers, in the router's order.
pub const OPERATIONS: &[Operation] = &[
    op("get", "/healthz", "Liveness: the process answers", Access::Public),
    op("get", "/readyz", "Readiness: the database answers, every background loop runs and no waiting work is older than its threshold (503 `not_ready` otherwise, with the report in `details`)", Access::Public),
    op("get", "/metrics", "Prometheus metrics (text exposition format)", Access::Public),
    op("get", "/api/openapi.json", "This document", Access::Public),
    op("get", "/api/kinds", "The step kinds, their ports, settings and outputs", Access::Public),
    op("get", "/api/schema", "JSON Schema of the workflow file format", Access::Public),
    op("get", "/api/workflows", "Workflows with their live version and run counts", OPS),
    op("post", "/api/workflows", "Create a workflow (409 if the id is taken)", OPS)
        .body(schema::<workflows::DraftBody>)
        .ok(201),
    op(
        "post",
        "/api/workflows/import",
        "Import a workflow file (creates or replaces the draft; optionally publishes)",
        OPS,
    )
    .query(schema::<workflows::ImportQuery>)
    .workflow_file()
    .ok(201),
    op("get", "/api/workflows/{id}", "A workflow: draft, live version, diagnostics", OPS)
        .query(schema::<workflows::Format>),
    op("put", "/api/workflows/{id}/draft", "Save the draft (409 with a diff if someone saved first)", OPS)
        .body(schema::<workflows::DraftBody>),
    op("post", "/api/workflows/{id}/publish", "Publish the draft as a new immutable version (an unchanged draft answers the current version, `unchanged: true`)", OPS)
        .optional_body(schema::<workflows::PublishBody>),
    op("get", "/api/workflows/{id}/versions", "Published versions", OPS),
    op("get", "/api/workflows/{id}/versions/{version}", "One published version", OPS)
        .query(schema::<workflows::Format>),
    op("get", "/api/workflows/{id}/diff", "Diff between two versions", OPS).query(schema::<workflows::DiffQuery>),
    op("get", "/api/workflows/{id}/figures", "Per-step run figures of a published version (runs on the canvas)", OPS)
        .query(schema::<workflows::FiguresQuery>),
    op("post", "/api/workflows/{id}/rollback", "Publish an earlier version again", OPS)
        .body(schema::<workflows::RollbackBody>),
    op("post", "/api/workflows/{id}/stop", "Stop starting runs (optionally cancel those under way)", OPS)
        .optional_body(schema::<workflows::StopBody>),
    op("post", "/api/workflows/{id}/start", "Start again a stopped workflow", OPS),
    op("get", "/api/workflows/{id}/export", "The workflow file (YAML)", OPS),
    op("post", "/api/workflows/{id}/webhook-secret", "Create or rotate a webhook workflow's signing secret", OPS),
    op("post", "/api/events", "Send one event or a batch (stored before the answer; ids deduplicate)", INTEGRATION)
        .body(schema::<events::OneOrMany>)
        .ok(202),
    op("post", "/api/webhooks/{workflow}", "Signed webhook: starts the workflow", Access::Signed).ok(202),
    op("post", "/api/shortcuts/{workflow}", "An agent presses a shortcut on a conversation", AGENT)
        .body(schema::<events::ShortcutBody>)
        .ok(201)
        .idempotent(),
    op("get", "/api/contacts", "Contacts the caller may see, newest first", AGENT).query(schema::<inbox::Page>),
    op("get", "/api/contacts/{id}", "A contact with conversation, tags, fields and runs", AGENT),
    op("get", "/api/contacts/{id}/messages", "The contact's transcript, oldest first", AGENT)
        .query(schema::<inbox::Page>),
    op("post", "/api/contacts/{id}/messages", "An agent replies to the contact", AGENT)
        .body(schema::<inbox::ReplyBody>)
        .ok(201)
        .idempotent(),
    op("post", "/api/contacts/{id}/close", "Close the conversation", AGENT)
        .body(schema::<inbox::CloseBody>)
        .idempotent(),
    op("post", "/api/contacts/{id}/open", "Open a conversation", AGENT).idempotent(),
    op("post", "/api/contacts/{id}/assign", "Assign or unassign the conversation", AGENT_OR_OPS)
        .body(schema::<inbox::AssignBody>)
        .idempotent(),
    op("get", "/api/conversations", "Conversations the caller may see, by status, assignee, team", AGENT)
        .query(schema::<inbox::ConversationQuery>),
    op("get", "/api/queue", "Contacts waiting for an agent, with how long they have waited", AGENT_OR_OPS),
    op("get", "/api/agents", "Agents, their teams, status and load", AGENT),
    op("put", "/api/agents/{id}", "Create or update an agent", ADMIN).body(schema::<AgentSpec>),
    op("post", "/api/agents/{id}/online", "Set an agent online or away", AGENT_OR_OPS)
        .body(schema::<inbox::OnlineBody>),
    op("get", "/api/shortcuts", "Shortcuts the calling agent may press", AGENT),
    op("get", "/api/live", "Live updates as server-sent events", Access::Roles(&["ops", "agent", "integration"]))
        .query(schema::<live::LiveQuery>),
    op("get", "/api/runs", "Runs, newest first", OPS).query(schema::<runs::RunQuery>),
    op("post", "/api/runs/cancel", "Cancel runs of a workflow in bulk", OPS).body(schema::<runs::CancelBody>),
    op("get", "/api/runs/{id}", "A run with its journal, its path and why it is waiting", OPS),
    op("post", "/api/runs/{id}/cancel", "Cancel a run", OPS),
    op("post", "/api/runs/{id}/retry", "Retry a failed run from the step that failed", OPS),
    op(
        "post",
        "/api/messages/{id}/resend",
        "Send again a message whose delivery is unknown (a channel that cannot deduplicate timed out)",
        OPS,
    ),
    op("get", "/api/me", "Who the caller is: token name, role, and the agent of an agent token", ANY),
    op(
        "post",
        "/api/simulator/messages",
        "A simulator contact writes or presses a button (the contact page)",
        INTEGRATION,
    )
    .body(schema::<simulator::SimulatedMessage>)
    .ok(201)
    .idempotent(),
    op("get", "/api/simulator/contacts/{address}", "What a simulator contact sees of their conversation", INTEGRATION),
    op("get", "/api/tokens", "API tokens (never the tokens themselves)", ADMIN).query(schema::<tokens::TokenQuery>),
    op("post", "/api/tokens", "Create an API token; the answer is the only time it is shown", ADMIN)
        .body(schema::<tokens::NewToken>)
        .ok(201),
    op("delete", "/api/tokens/{id}", "Revoke an API token (not the last admin token)", ADMIN),
    op(
        "post",
        "/api/compile",
        "Compile a draft without saving: diagnostics, each step's ports, warnings on assignment targets",
        OPS,
    )
    .body(schema::<workflows::CompileBody>),
    op("post", "/api/test-sessions", "Start a test chat against a draft (sandboxed contact)", OPS)
        .body(schema::<testchat::StartBody>)
        .ok(201),
    op("get", "/api/test-sessions/{id}", "A test chat: timeline, runs with their paths, next timer", OPS),
    op("delete", "/api/test-sessions/{id}", "End a test chat (cancels its runs under way)", OPS),
    op("post", "/api/test-sessions/{id}/messages", "The tester writes or presses a button, as the contact", OPS)
        .body(schema::<testchat::SayBody>)
        .ok(201),
    op("post", "/api/test-sessions/{id}/close", "The tester closes the conversation, as an agent", OPS)
        .optional_body(schema::<testchat::CloseBody>),
    op("post", "/api/test-sessions/{id}/fast-forward", "Make the test chat's waiting timers due now", OPS),
    op("put", "/api/test-sessions/{id}/clock", "Set the time the test chat pretends it is (null: the real time)", OPS)
        .body(schema::<testchat::ClockBody>),
    op("get", "/api/channels", "Channel connections (secrets by name only) with this month's usage", OPS),
    op("post", "/api/channels/preview", "How a message renders on WhatsApp, LINE and Telegram", OPS)
        .body(schema::<channels::PreviewBody>),
    op("get", "/api/channels/{id}", "A channel connection (secrets by name only)", OPS),
    op("put", "/api/channels/{id}", "Create or change a channel connection (secrets are write-only)", ADMIN)
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
    ),
    op(
        "get",
        "/api/dead-letters",
        "Events that could not be processed, newest first, with reason and payload (cursor pages: X-Next-Cursor)",
        OPS,
    )
    .query(schema::<dead_letters::DeadLetterQuery>),
    op("delete", "/api/dead-letters/{id}", "Discard a dead letter", OPS).ok(204),
    op("post", "/api/dead-letters/{id}/retry", "Queue a dead letter's event again (the dead letter is removed)", OPS),
    op("get", "/api/secrets", "Workspace secrets by name and date (never their values)", OPS),
    op(
        "put",
        "/api/secrets/{name}",
        "Set a workspace secret (write-only; HTTP steps read it as {{ secrets.NAME }})",
        ADMIN,
    )
    .body(schema::<secrets::SecretValue>),
    op("delete", "/api/secrets/{name}", "Remove a workspace secret", ADMIN).ok(204),
];

/// OpenAPI links: how the answer of one operation feeds the next (`from` method and path,
/// the link's name, the target's method and path, and its parameters as runtime
/// expressions). Clients and the API fuzzer's stateful phase follow them: create a workflow,
/// then read, save, publish and export it; start a test chat, then talk in it and end it.
type Link =
    (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [(&'static str, &'static str)]);

const CREATED_ID: &[(&str, &str)] = &[("id", "$response.body#/id")];
const SAME_ID: &[(&str, &str)] = &[("id", "$request.path.id")];

const LINKS: &[Link] = &[
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
    ("post", "/api/test-sessions", "Session", "get", "/api/test-sessions/{id}", CREATED_ID),
    ("post", "/api/test-sessions", "Say", "post", "/api/test-sessions/{id}/messages", CREATED_ID),
    ("post", "/api/test-sessions", "Close", "post", "/api/test-sessions/{id}/close", CREATED_ID),
    ("post", "/api/test-sessions", "FastForward", "post", "/api/test-sessions/{id}/fast-forward", CREATED_ID),
    ("post", "/api/test-sessions", "Clock", "put", "/api/test-sessions/{id}/clock", CREATED_ID),
    ("post", "/api/test-sessions", "End", "delete", "/api/test-sessions/{id}", CREATED_ID),
    ("put", "/api/agents/{id}", "Online", "post", "/api/agents/{id}/online", SAME_ID),
    ("put", "/api/channels/{id}", "Connection", "get", "/api/channels/{id}", SAME_ID),
    ("put", "/api/channels/{id}", "Remove", "delete", "/api/channels/{id}", SAME_ID),
];

/// The links that start at `operation`, as an OpenAPI `links` object.
fn links_of(operation: &Operation) -> Map<String, Value> {
    LINKS
        .iter()
        .filter(|(method, path, ..)| *method == operation.method && *path == operation.path)
        .filter_map(|(_, _, name, to_method, to_path, parameters)| {
            let target = OPERATIONS.iter().find(|o| o.method == *to_method && o.path == *to_path)?;
            let parameters: Map<String, Value> =
                parameters.iter().map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned()))).collect();
            Some(((*name).to_owned(), json!({"operationId": operation_id(target), "parameters": parameters})))
        })
        .collect()
}

/// The whole document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas/".into();
            s.meta_schema = None;
        })
        .into_generator();
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let entry = paths.entry(operation.path).or_insert_with(|| json!({}));
        if let Some(methods) = entry.as_object_mut() {
            methods.insert(operation.method.to_owned(), describe(operation, &mut generator));
        }
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Error".to_owned(),
        json!({
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code (`not_found`, `conflict`, ...)"},
                "message": {"type": "string"},
                "details": {"description": "Diagnostics, a diff, or other context"}
            }
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Workflow automation for customer messaging. Authenticate with `Authorization: Bearer <token>`; \
                an admin token may call every operation. Errors are `{code, message, details}`.",
            "license": {"name": "Apache-2.0 OR MIT", "identifier": "Apache-2.0 OR MIT"}
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token; roles: admin, ops, agent, integration"}
            }
        }
    })
}

fn describe(operation: &Operation, generator: &mut SchemaGenerator) -> Value {
    let mut parameters: Vec<Value> = path_parameters(operation.path)
        .map(|name| {
            let kind = if numeric_path_parameter(operation.path, name) { "integer" } else { "string" };
            json!({"name": name, "in": "path", "required": true, "schema": {"type": kind}})
        })
        .collect();
    if let Some(query) = operation.query {
        parameters.extend(query_parameters(query(generator), generator));
    }
    if operation.access == Access::Signed {
        for (name, what) in [
            ("x-switchboard-timestamp", "Unix seconds when the request was signed (within 5 minutes of now)"),
            (
                "x-switchboard-signature",
                "`sha256=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` with the webhook secret",
            ),
        ] {
            parameters.push(json!({"name": name, "in": "header", "required": true, "description": what, "schema": {"type": "string"}}));
        }
    }
    if operation.idempotent {
        parameters.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "A key of the client's choosing (a fresh UUID per user action, the same on every retry of that \
                action). The same key from the same token within 24 hours answers the first request's status and body \
                again (with `Idempotent-Replayed: true`) and acts no second time; with another route or body it is a \
                422 `idempotency_key_reused`; while the first request is still being handled, a 409 \
                `idempotency_key_in_use`.",
            "schema": {"type": "string", "minLength": 1, "maxLength": super::idempotency::MAX_KEY_LEN, "pattern": "^[!-~]+$"}
        }));
    }
    let paged = parameters.iter().any(|p| p["name"] == "after" && p["in"] == "query");
    let mut out = json!({
        "summary": operation.summary,
        "operationId": operation_id(operation),
        "responses": {
            operation.ok.to_string(): {"description": "Success", "content": success_content(operation)},
            "default": {
                "description": "An error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            }
        }
    });
    if paged {
        out["responses"][operation.ok.to_string()]["headers"] = json!({
            "X-Next-Cursor": {
                "description": "Present when another page follows: pass it as `after` to read that page",
                "schema": {"type": "string"}
            },
            "Link": {"description": "The next page's URL, `rel=\"next\"` (with `X-Next-Cursor`)", "schema": {"type": "string"}}
        });
    }
    let links = links_of(operation);
    if !links.is_empty() {
        out["responses"][operation.ok.to_string()]["links"] = Value::Object(links);
    }
    let Some(object) = out.as_object_mut() else { return out };
    if !parameters.is_empty() {
        object.insert("parameters".into(), Value::Array(parameters));
    }
    match operation.access {
        Access::Public | Access::Signed | Access::ChannelSigned => {
            object.insert("security".into(), json!([]));
        }
        Access::Roles(roles) => {
            object.insert("security".into(), json!([{"bearer": []}]));
            object.insert("x-roles".into(), json!(roles));
        }
    }
    match operation.input {
        Input::None => {}
        Input::Json(body) | Input::OptionalJson(body) => {
            let required = matches!(operation.input, Input::Json(_));
            let schema = body(generator);
            object.insert(
                "requestBody".into(),
                json!({"required": required, "content": {"application/json": {"schema": schema}}}),
            );
        }
        Input::WorkflowFile => {
            let file = json!({"type": "string", "description": "A workflow file (see /api/schema)"});
            object.insert(
                "requestBody".into(),
                json!({"required": true, "content": {"application/yaml": {"schema": file}, "application/json": {"schema": {"type": "object"}}}}),
            );
        }
    }
    out
}

/// What a successful answer is: JSON, except the metrics text, the event stream and workflow
/// files (YAML when `format=yaml`).
fn success_content(operation: &Operation) -> Value {
    match operation.path {
        "/metrics" => json!({"text/plain": {"schema": {"type": "string"}}}),
        "/api/channels/{id}/webhook" if operation.method == "get" => {
            json!({"text/plain": {"schema": {"type": "string"}}})
        }
        "/api/live" => json!({"text/event-stream": {"schema": {"type": "string"}}}),
        "/api/workflows/{id}" | "/api/workflows/{id}/export" | "/api/workflows/{id}/versions/{version}" => {
            json!({"application/json": {}, "application/yaml": {}})
        }
        _ => json!({"application/json": {}}),
    }
}

/// Runs, contacts and tokens have numeric ids, as do versions; workflows and agents are named.
fn numeric_path_parameter(path: &str, name: &str) -> bool {
    name == "version"
        || (name == "id"
            && ["/api/runs/", "/api/contacts/", "/api/tokens/", "/api/test-sessions/", "/api/dead-letters/"]
                .iter()
                .any(|p| path.starts_with(p)))
}

fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
}

/// A query struct's properties as query parameters (the struct is defined inline or behind a
/// reference in the components).
fn query_parameters(schema: schemars::Schema, generator: &mut SchemaGenerator) -> Vec<Value> {
    let mut object = schema.as_value().clone();
    if let Some(name) = object.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()).map(str::to_owned)
    {
        object = generator.definitions_mut().remove(&name).unwrap_or(Value::Null);
    }
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = object.get("properties").and_then(Value::as_object) else { return Vec::new() };
    properties
        .iter()
        .map(|(name, property)| {
            let mut parameter =
                json!({"name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": property});
            if let Some(description) = property.get("description") {
                parameter["description"] = description.clone();
            }
            parameter
        })
        .collect()
}

fn operation_id(operation: &Operation) -> String {
    let mut id = operation.method.to_owned();
    for segment in operation.path.split('/').filter(|s| !s.is_empty() && *s != "api") {
        let word = segment.trim_start_matches('{').trim_end_matches('}');
        let word: String = word.split(['-', '.']).map(capitalise).collect();
        if segment.starts_with('{') {
            id.push_str("By");
        }
        id.push_str(&word);
    }
    id
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_joins_two_documented_operations() {
        for (method, path, name, to_method, to_path, _) in LINKS {
            assert!(OPERATIONS.iter().any(|o| o.method == *method && o.path == *path), "{name}: from {method} {path}");
            assert!(
                OPERATIONS.iter().any(|o| o.method == *to_method && o.path == *to_path),
                "{name}: to {to_method} {to_path}"
            );
        }
        let doc = document();
        let links = &doc["paths"]["/api/workflows"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["Workflow"]["operationId"], json!("getWorkflowsById"), "{links}");
    }

    #[test]
    fn operation_ids_are_unique_and_readable() {
        let ids: Vec<String> = OPERATIONS.iter().map(operation_id).collect();
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert!(ids.contains(&"getWorkflowsByIdVersionsByVersion".to_owned()), "{ids:?}");
    }

    #[test]
    fn every_routed_path_is_documented_and_nothing_else() {
        // The router in lib.rs is the truth: each `.route("...", get(..).post(..))` line.
        let source = include_str!("lib.rs");
        let mut routed = std::collections::BTreeSet::new();
        for line in source.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
            let path = line.trim_start_matches(".route(\"").split('"').next().unwrap_or_default();
            for method in ["get", "post", "put", "delete", "patch"] {
                if line.contains(&format!("{method}(")) {
                    routed.insert((method.to_owned(), path.to_owned()));
                }
            }
        }
        let documented: std::collections::BTreeSet<(String, String)> =
            OPERATIONS.iter().map(|o| (o.method.to_owned(), o.path.to_owned())).collect();
        assert_eq!(routed, documented);
    }

    #[test]
    fn actions_take_idempotency_keys_and_lists_say_how_to_page() {
        let doc = document();
        for (path, method) in [
            ("/api/contacts/{id}/messages", "post"),
            ("/api/contacts/{id}/close", "post"),
            ("/api/contacts/{id}/open", "post"),
            ("/api/contacts/{id}/assign", "post"),
            ("/api/shortcuts/{workflow}", "post"),
            ("/api/simulator/messages", "post"),
        ] {
            let parameters = doc["paths"][path][method]["parameters"].as_array().cloned().unwrap_or_default();
            assert!(
                parameters.iter().any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"),
                "{method} {path}: {parameters:?}"
            );
        }
        for path in ["/api/runs", "/api/contacts", "/api/conversations", "/api/contacts/{id}/messages", "/api/tokens"] {
            let get = &doc["paths"][path]["get"];
            let names: Vec<&str> =
                get["parameters"].as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
            assert!(names.contains(&"limit") && names.contains(&"after"), "{path}: {names:?}");
            assert!(get["responses"]["200"]["headers"].get("X-Next-Cursor").is_some(), "{path}");
        }
        let runs = doc["paths"]["/api/runs"]["get"]["parameters"].to_string();
        let statuses = format!("{runs}{}", doc["components"]["schemas"]["RunStatus"]);
        assert!(statuses.contains("cancelled") && runs.contains("\"maximum\":1000"), "{statuses}");
    }

    #[test]
    fn query_structs_become_parameters() {
        let doc = document();
        let runs = &doc["paths"]["/api/runs"]["get"]["parameters"];
        let names: Vec<&str> = runs.as_array().into_iter().flatten().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, ["workflow", "version", "contact", "status", "test", "limit", "after"]);
        let diff = &doc["paths"]["/api/workflows/{id}/diff"]["get"]["parameters"];
        assert_eq!(diff[1]["name"], "from");
        assert_eq!(diff[1]["required"], true);
        // Events refer to shared component schemas that exist.
        let text = doc.to_string();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap_or_default();
            assert!(doc["components"]["schemas"].get(name).is_some(), "dangling $ref {name}");
        }
    }
}
