//! The OpenAPI 3.1 description of the HTTP API, served at `/api/openapi.json` and printed by
//! `switchboard openapi`. Every route is one row of `OPERATIONS`; request bodies and query
//! parameters come from the handlers' own types (schemars), so they cannot drift from what
//! the server accepts. A test checks that the rows and the router list the same routes.

mod operations;

use operations::LINKS;
pub use operations::OPERATIONS;
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
    /// The body of a successful JSON answer: the handler's answer type.
    pub answer: Option<fn(&mut SchemaGenerator) -> schemars::Schema>,
    /// Takes an `Idempotency-Key` header (see `idempotency.rs`).
    pub idempotent: bool,
}

pub(crate) fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> schemars::Schema {
    g.subschema_for::<T>()
}

pub(crate) const fn op(method: &'static str, path: &'static str, summary: &'static str, access: Access) -> Operation {
    Operation {
        method,
        path,
        summary,
        access,
        query: None,
        input: Input::None,
        ok: 200,
        answer: None,
        idempotent: false,
    }
}

/// Builders, so every row of `OPERATIONS` reads the same way:
/// `op(method, path, summary, access).query(..).body(..).answers(..).ok(..)`.
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

    /// What a successful answer's JSON body is.
    const fn answers(mut self, a: fn(&mut SchemaGenerator) -> schemars::Schema) -> Operation {
        self.answer = Some(a);
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
            operation.ok.to_string(): {"description": "Success"},
            "default": {
                "description": "An error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            }
        }
    });
    // A 204 has no body, so no content.
    if operation.ok != 204 {
        out["responses"][operation.ok.to_string()]["content"] = success_content(operation, generator);
    }
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
fn success_content(operation: &Operation, generator: &mut SchemaGenerator) -> Value {
    let json = match operation.answer {
        Some(answer) => json!({"schema": answer(generator)}),
        None => json!({}),
    };
    match operation.path {
        "/metrics" => json!({"text/plain": {"schema": {"type": "string"}}}),
        "/api/channels/{id}/webhook" if operation.method == "get" => {
            json!({"text/plain": {"schema": {"type": "string"}}})
        }
        "/api/live" => json!({"text/event-stream": {"schema": {"type": "string"}}}),
        "/api/workflows/{id}" | "/api/workflows/{id}/export" | "/api/workflows/{id}/versions/{version}" => {
            json!({"application/json": json, "application/yaml": {}})
        }
        _ => json!({"application/json": json}),
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
mod tests;
