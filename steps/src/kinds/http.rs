//! `http`: calls another system. Method, URL, headers and body take variables; the response
//! is kept as `steps.<id>.status` and `.body`, and JSON paths (`$.customer.tier`) map parts of
//! it to named outputs. A 2xx leaves by `success`; anything else — another status, a
//! timeout, a refused address — leaves by `failure`, which must be connected, because
//! integrations fail in production and a flow must say what happens then.

use super::{json_templates, render, render_json, KindInfo, PortSpec, StepKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::duration::DurationText;
use crate::machine::{Effect, HttpRequest, Input, Outcome, StepContext, Transition, Wait};
use crate::template::{Template, UrlError};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use serde_json_path::JsonPath;
use std::collections::BTreeSet;
use std::time::Duration;

/// The most request headers.
pub const MAX_HEADERS: usize = 10;
/// The most retries after the first attempt.
pub const MAX_RETRIES: u32 = 5;
/// The longest timeout per attempt.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);

pub const INFO: KindInfo = KindInfo {
    name: "http",
    title: "HTTP request",
    description: "Call another system's API and map parts of the JSON response to variables.",
    category: "integrations",
    ports: &[("success", "a 2xx response"), ("failure", "any other status, a timeout or a network error")],
    outputs: &[
        ("status", "the HTTP status, or null without a response"),
        ("body", "the response body (JSON when it was JSON)"),
        ("<name>", "each entry of `save`"),
        ("error", "why it failed"),
    ],
};

/// HTTP methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    #[default]
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

fn default_timeout() -> DurationText {
    DurationText::parse("10s").unwrap_or_else(|_| DurationText::hours(0))
}

/// Configuration of an `http` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Http {
    #[serde(default)]
    pub method: Method,
    /// The URL; variables allowed. Private and loopback addresses are refused at run time
    /// unless the server's allow-list names them.
    pub url: Template,
    /// Request headers (at most 10); values take variables.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Template>,
    /// A raw body; variables allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Template>,
    /// A JSON body; string values take variables and a value that is a single `{{ }}` keeps its type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// Per attempt, at most 60s.
    #[serde(default = "default_timeout")]
    pub timeout: DurationText,
    /// Extra attempts on a network error or a 5xx, at most 5. By default 1 for GET, PUT and
    /// DELETE and 0 for POST and PATCH, which are not safe to repeat unless the receiver
    /// honours the `Idempotency-Key` header every request carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Outputs taken from the JSON response: name → JSON path (`$.customer.tier`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub save: IndexMap<String, String>,
}

impl Http {
    /// The retries to use: as written, or the method's safe default.
    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(match self.method {
            Method::Get | Method::Put | Method::Delete => 1,
            Method::Post | Method::Patch => 0,
        })
    }

    fn request(&self, ctx: &StepContext<'_>) -> Result<HttpRequest, Transition> {
        // `{{ secrets.NAME }}` renders as itself: the engine fills the value in when it
        // performs the call, so the request journaled here carries only the placeholder.
        let mut secrets: Vec<String> = self
            .templates()
            .into_iter()
            .map(|(_, t)| t.secret_holes())
            .chain(self.value_templates().into_iter().map(|(_, t)| t.secret_holes()))
            .flatten()
            .map(|(name, _)| name)
            .collect();
        secrets.sort();
        secrets.dedup();
        let with_placeholders;
        let ctx = if secrets.is_empty() {
            *ctx
        } else {
            let mut vars = ctx.vars.clone();
            let placeholders: serde_json::Map<String, Value> =
                secrets.iter().map(|n| (n.clone(), Value::String(HttpRequest::secret_placeholder(n)))).collect();
            if let Value::Object(map) = &mut vars {
                map.insert("secrets".into(), Value::Object(placeholders));
            }
            with_placeholders = vars;
            StepContext { vars: &with_placeholders, ..*ctx }
        };
        let ctx = &ctx;
        // A placeholder that a variable's value brought in (a contact naming themselves
        // `{{ secrets.crm_key }}`) would be filled in like a real one; the step refuses that.
        // Without secrets nothing is filled in, so such text is just text.
        let forged = |field: &str, rendered: &str, holes: usize| {
            if secrets.is_empty() || HttpRequest::count_placeholders(rendered) == holes {
                Ok(())
            } else {
                Err(Transition::fail(format!(
                    "step `{}`: a variable in `{field}` holds `{{{{ secrets.` text; refused, so data cannot pull \
                     a secret into the request",
                    ctx.step_id
                )))
            }
        };
        let url = self.url.render_url(ctx.vars).map_err(|e| match e {
            UrlError::Expr(e) => Transition::fail(format!("step `{}`: could not fill in `url`: {e}", ctx.step_id)),
            // Contact data, not the workflow, is at fault: the flow's failure path handles it
            // like any other call that could not be made.
            refused @ UrlError::DotSegment { .. } => Transition::fail_via(
                ctx,
                "failure",
                format!("could not fill in `url`: {refused}"),
                vec![Effect::SetOutput { name: "status".into(), value: Value::Null }],
            ),
        })?;
        forged("url", &url, self.url.secret_holes().len())?;
        let mut headers = Vec::with_capacity(self.headers.len() + 1);
        for (name, value) in &self.headers {
            let field = format!("headers.{name}");
            let rendered = render(value, &field, ctx)?;
            forged(&field, &rendered, value.secret_holes().len())?;
            headers.push((name.clone(), rendered));
        }
        let body = match (&self.body, &self.json) {
            (Some(t), _) => {
                let rendered = render(t, "body", ctx)?;
                forged("body", &rendered, t.secret_holes().len())?;
                Some(rendered)
            }
            (None, Some(v)) => {
                let rendered = render_json(v, ctx)
                    .map_err(|e| Transition::fail(format!("step `{}`: could not fill in `json`: {e}", ctx.step_id)))?;
                if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
                    headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                }
                let rendered = rendered.to_string();
                let holes = self.value_templates().iter().map(|(_, t)| t.secret_holes().len()).sum();
                forged("json", &rendered, holes)?;
                Some(rendered)
            }
            (None, None) => None,
        };
        Ok(HttpRequest {
            method: self.method.as_str().to_owned(),
            url,
            headers,
            body,
            timeout: self.timeout.get(),
            retries: self.retries(),
            secrets,
            json_body: self.body.is_none() && self.json.is_some(),
        })
    }
}

impl StepKind for Http {
    fn ports(&self) -> Vec<PortSpec> {
        vec![PortSpec::optional("success", "Success"), PortSpec::required("failure", "Failure")]
    }

    fn outputs(&self) -> Vec<String> {
        let mut out: Vec<String> = vec!["status".into(), "body".into(), "error".into()];
        out.extend(self.save.keys().cloned());
        out
    }

    fn outputs_on(&self, port: &str, _connected: &BTreeSet<String>) -> Vec<String> {
        match port {
            "success" => {
                let mut out: Vec<String> = vec!["status".into(), "body".into()];
                out.extend(self.save.keys().cloned());
                out
            }
            // Without a response there is no body and nothing to map.
            _ => vec!["status".into(), "error".into()],
        }
    }

    fn start(&self, ctx: &StepContext<'_>) -> Transition {
        match self.request(ctx) {
            Ok(request) => Transition::wait(Wait::Outcome, Value::Null, vec![Effect::Http { request }]),
            Err(t) => t,
        }
    }

    fn resume(&self, _state: &Value, input: &Input, ctx: &StepContext<'_>) -> Transition {
        match input {
            Input::Outcome { outcome: Outcome::HttpResponse { status, body, .. } } => {
                let mut effects = vec![
                    Effect::SetOutput { name: "status".into(), value: json!(status) },
                    Effect::SetOutput { name: "body".into(), value: body.clone() },
                ];
                for (name, path) in &self.save {
                    let value = JsonPath::parse(path)
                        .ok()
                        .map(|p| {
                            let nodes = p.query(body).all();
                            match nodes.as_slice() {
                                [] => Value::Null,
                                [one] => (*one).clone(),
                                many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
                            }
                        })
                        .unwrap_or(Value::Null);
                    effects.push(Effect::SetOutput { name: name.clone(), value });
                }
                if (200..300).contains(status) {
                    Transition::go("success", effects)
                } else {
                    Transition::fail_via(ctx, "failure", format!("the server answered HTTP {status}"), effects)
                }
            }
            Input::Outcome { outcome: Outcome::HttpFailed { reason } } => Transition::fail_via(
                ctx,
                "failure",
                reason.clone(),
                vec![Effect::SetOutput { name: "status".into(), value: Value::Null }],
            ),
            other => Transition::fail(format!("http cannot handle {other:?}")),
        }
    }

    fn check(&self, out: &mut Vec<Diagnostic>) {
        if self.url.is_static() {
            match url::Url::parse(self.url.source()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => out.push(Diagnostic::error(
                    Code::InvalidValue,
                    "/url",
                    format!("`{}` is not an http(s) URL", self.url.source()),
                )),
            }
        } else if !(self.url.source().starts_with("http://")
            || self.url.source().starts_with("https://")
            || self.url.source().starts_with("{{"))
        {
            out.push(Diagnostic::error(Code::InvalidValue, "/url", "the URL must start with http:// or https://"));
        }
        if self.headers.len() > MAX_HEADERS {
            out.push(Diagnostic::error(
                Code::TooMany,
                "/headers",
                format!("at most {MAX_HEADERS} headers; this request has {}", self.headers.len()),
            ));
        }
        if self.body.is_some() && self.json.is_some() {
            out.push(Diagnostic::error(Code::InvalidValue, "/json", "give `body` or `json`, not both"));
        }
        if self.timeout.get() > MAX_TIMEOUT || self.timeout.get().is_zero() {
            out.push(Diagnostic::error(Code::InvalidValue, "/timeout", "the timeout must be between 1ms and 60s"));
        }
        if self.retries() > MAX_RETRIES {
            out.push(Diagnostic::error(
                Code::InvalidValue,
                "/retries",
                format!("at most {MAX_RETRIES} retries; got {}", self.retries()),
            ));
        }
        for (name, path) in &self.save {
            let at = crate::diagnostic::child("/save", name);
            if !crate::ids::is_valid_id(name) || matches!(name.as_str(), "status" | "body" | "error") {
                out.push(Diagnostic::error(
                    Code::InvalidId,
                    at.clone(),
                    format!("output name `{name}` must be a lowercase identifier other than status, body and error"),
                ));
            }
            if let Err(e) = JsonPath::parse(path) {
                out.push(
                    Diagnostic::error(Code::JsonPathSyntax, at, format!("`{path}` is not a JSON path: {e}"))
                        .with_help("JSON paths start at `$`, for example `$.customer.phone` or `$.items[0].id`"),
                );
            }
        }
    }

    fn templates(&self) -> Vec<(String, &Template)> {
        let mut out = vec![("/url".to_owned(), &self.url)];
        for (name, t) in &self.headers {
            out.push((crate::diagnostic::child("/headers", name), t));
        }
        if let Some(t) = &self.body {
            out.push(("/body".to_owned(), t));
        }
        out
    }

    fn takes_secrets(&self) -> bool {
        true
    }

    fn value_templates(&self) -> Vec<(String, Template)> {
        let mut out = Vec::new();
        if let Some(v) = &self.json {
            json_templates(v, "/json".to_owned(), &mut out);
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::machine::Next;

    fn lookup() -> super::super::StepConfig {
        config(
            "http",
            json!({
                "method": "POST",
                "url": "https://crm.example.com/lookup?phone={{contact.phone}}",
                "headers": {"Authorization": "Bearer {{trigger.token}}"},
                "json": {"phone": "{{contact.phone}}", "age": "{{contact.fields.age}}"},
                "save": {"tier": "$.customer.tier", "ids": "$.orders[*].id"}
            }),
        )
    }

    #[test]
    fn builds_the_request_with_variables() {
        let vars = json!({"contact": {"phone": "+4915112345678", "fields": {"age": 41}}, "trigger": {"token": "t0k"}});
        let t = with_ctx(&vars, &["failure"], 1, |ctx| lookup().behaviour().start(ctx));
        let Effect::Http { request } = &t.effects[0] else { panic!("{t:?}") };
        assert_eq!(request.url, "https://crm.example.com/lookup?phone=%2B4915112345678");
        assert_eq!(request.headers[0], ("Authorization".into(), "Bearer t0k".into()));
        assert_eq!(request.headers[1], ("Content-Type".into(), "application/json".into()));
        assert_eq!(request.body.as_deref(), Some(r#"{"phone":"+4915112345678","age":41}"#));
        assert_eq!(request.timeout, Duration::from_secs(10));
        assert_eq!(request.retries, 0, "a POST is not retried unless asked");
        assert!(matches!(t.next, Next::Wait { wait: Wait::Outcome, .. }));
    }

    /// A contact whose answer is `..` cannot move the call to another path: nothing is called
    /// and the step leaves by `failure`, saying why.
    #[test]
    fn a_dot_segment_from_contact_data_leaves_by_failure_without_a_call() {
        let step = config("http", json!({"url": "https://crm.example.com/orders/{{steps.ask.answer}}/status"}));
        for answer in ["..", "."] {
            let vars = json!({"steps": {"ask": {"answer": answer}}});
            let t = with_ctx(&vars, &["failure"], 1, |ctx| step.behaviour().start(ctx));
            assert!(!t.effects.iter().any(|e| matches!(e, Effect::Http { .. })), "{answer}: {t:?}");
            assert_eq!(port(&t), "failure");
            assert_eq!(output(&t, "status"), Some(&Value::Null));
            let error = output(&t, "error").and_then(Value::as_str).unwrap_or_default();
            assert!(error.starts_with("could not fill in `url`: the value filled in at character 31"), "{error}");
        }
        let vars = json!({"steps": {"ask": {"answer": "A-17"}}});
        let t = with_ctx(&vars, &["failure"], 1, |ctx| step.behaviour().start(ctx));
        let Effect::Http { request } = &t.effects[0] else { panic!("{t:?}") };
        assert_eq!(request.url, "https://crm.example.com/orders/A-17/status");
    }

    #[test]
    fn maps_the_response_and_picks_the_port() {
        let body = json!({"customer": {"tier": "gold"}, "orders": [{"id": 1}, {"id": 2}]});
        let ok = Input::Outcome {
            outcome: Outcome::HttpResponse { status: 200, headers: Default::default(), body: body.clone() },
        };
        let t = with_ctx(&json!({}), &["failure"], 1, |ctx| lookup().behaviour().resume(&Value::Null, &ok, ctx));
        assert_eq!(port(&t), "success");
        assert_eq!(output(&t, "tier"), Some(&json!("gold")));
        assert_eq!(output(&t, "ids"), Some(&json!([1, 2])));
        let not_found = Input::Outcome {
            outcome: Outcome::HttpResponse { status: 404, headers: Default::default(), body: json!({}) },
        };
        let t = with_ctx(&json!({}), &["failure"], 1, |ctx| lookup().behaviour().resume(&Value::Null, &not_found, ctx));
        assert_eq!(port(&t), "failure");
        assert_eq!(output(&t, "error"), Some(&json!("the server answered HTTP 404")));
        assert_eq!(output(&t, "tier"), Some(&Value::Null));
        let down = Input::Outcome { outcome: Outcome::HttpFailed { reason: "timed out after 10s".into() } };
        let t = with_ctx(&json!({}), &["failure"], 1, |ctx| lookup().behaviour().resume(&Value::Null, &down, ctx));
        assert_eq!(port(&t), "failure");
    }

    #[test]
    fn secrets_stay_placeholders_until_the_engine_fills_them_in() {
        let c = config(
            "http",
            json!({
                "method": "POST",
                "url": "https://crm.example.com/{{secrets.tenant}}/lookup?name={{contact.name}}",
                "headers": {"Authorization": "Bearer {{ secrets.crm_key }}"},
                "json": {"key": "{{secrets.crm_key}}", "name": "{{contact.name}}"}
            }),
        );
        let vars = json!({"contact": {"name": "Zoë"}});
        let t = with_ctx(&vars, &["failure"], 1, |ctx| c.behaviour().start(ctx));
        let Effect::Http { request } = &t.effects[0] else { panic!("{t:?}") };
        assert_eq!(request.secrets, ["crm_key", "tenant"]);
        assert_eq!(request.url, "https://crm.example.com/%7B%7B%20secrets.tenant%20%7D%7D/lookup?name=Zo%C3%AB");
        assert_eq!(request.headers[0].1, "Bearer {{ secrets.crm_key }}");
        assert_eq!(request.body.as_deref(), Some(r#"{"key":"{{ secrets.crm_key }}","name":"Zoë"}"#));
        let values = |name: &str| match name {
            "crm_key" => Some("k\"ey/1".to_owned()),
            "tenant" => Some("acme corp".to_owned()),
            _ => None,
        };
        let filled = request.fill_secrets(values).unwrap();
        assert_eq!(filled.url, "https://crm.example.com/acme%20corp/lookup?name=Zo%C3%AB");
        assert_eq!(filled.headers[0].1, "Bearer k\"ey/1");
        assert_eq!(filled.body.as_deref(), Some(r#"{"key":"k\"ey/1","name":"Zoë"}"#));
        let err = request.fill_secrets(|n| (n == "tenant").then(|| "t".to_owned())).unwrap_err();
        assert!(err.contains("`crm_key` is not set"), "{err}");
    }

    #[test]
    fn a_placeholder_brought_in_by_data_is_refused_not_filled() {
        let c = config(
            "http",
            json!({"method": "POST", "url": "https://crm.example.com/x", "headers": {"X-Key": "{{secrets.k}}"},
                   "body": "name={{contact.name}}"}),
        );
        let vars = json!({"contact": {"name": "{{ secrets.k }}"}});
        let t = with_ctx(&vars, &["failure"], 1, |ctx| c.behaviour().start(ctx));
        assert!(t.effects.is_empty(), "{t:?}");
        assert!(
            matches!(&t.next, Next::Fail { reason, .. } if reason.contains("`body` holds `{{ secrets.` text")),
            "{t:?}"
        );
        // Without any secret in the step, such text is just text and nothing is filled in.
        let plain =
            config("http", json!({"method": "POST", "url": "https://x.example.com", "body": "{{contact.name}}"}));
        let t = with_ctx(&vars, &["failure"], 1, |ctx| plain.behaviour().start(ctx));
        let Effect::Http { request } = &t.effects[0] else { panic!("{t:?}") };
        assert_eq!((request.body.as_deref(), request.secrets.len()), (Some("{{ secrets.k }}"), 0));
    }

    #[test]
    fn checks_paths_urls_and_limits() {
        let c = config(
            "http",
            json!({"url": "ftp://x", "save": {"status": "$.a", "x": "customer.tier"}, "retries": 9, "timeout": "2m"}),
        );
        let mut out = Vec::new();
        c.behaviour().check(&mut out);
        let codes: Vec<Code> = out.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            vec![Code::InvalidValue, Code::InvalidValue, Code::InvalidValue, Code::InvalidId, Code::JsonPathSyntax]
        );
    }
}
