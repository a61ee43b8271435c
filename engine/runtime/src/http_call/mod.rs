//! Performing a workflow's `http` step: the network policy (which destinations may be reached), the
//! shared HTTP client with its policy-checking DNS resolver, redirects (checked, and nothing of the
//! author's carried to another origin), retries with backoff, and turning what happened into a
//! [`steps::machine::Outcome`].
//!
//! [`guard`] holds the network policy and the resolver, [`redirects`] the following of
//! redirects; this file the caller, its retries and reading the response.

mod guard;
mod redirects;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

pub use guard::{url_refusal, NetPolicy};

use guard::{CallError, PolicyResolver};
use redirects::follow;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{redirect, Method, Url};
use serde_json::{Map, Value};
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;
use steps::machine::{HttpRequest, Outcome};

/// The largest response body read; a bigger one fails the call rather than filling memory.
const MAX_BODY: usize = 1024 * 1024;
/// The wait before the first retry; it doubles after each retry up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Sent on every request so receivers can tell where calls come from.
const USER_AGENT: &str = concat!("Switchboard/", env!("CARGO_PKG_VERSION"));

/// Request headers a workflow may not set: hop-by-hop headers belong to one connection (and the
/// client manages them), `Host` and `Content-Length` follow from the URL and the body, and the
/// `Idempotency-Key` is the engine's, so a retried effect is recognised as the same call.
const IGNORED_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "idempotency-key",
];

/// Installs rustls' ring crypto provider as the process default. reqwest is built without a
/// provider so the engine chooses one; every reqwest client in the engine must be built after
/// this has run. Calling it again is harmless.
pub use channels::install_crypto;

/// Performs HTTP steps. Cheap to clone (wraps one reqwest::Client), so one instance serves the
/// whole engine and connections are pooled across runs.
#[derive(Debug, Clone)]
pub struct HttpCaller {
    /// The client, or why it could not be built (every call then fails with that reason rather
    /// than the engine panicking at start-up).
    client: Result<reqwest::Client, String>,
    policy: Arc<NetPolicy>,
}

impl HttpCaller {
    /// Builds one reqwest client whose DNS resolver returns only the addresses `policy` allows
    /// (refusing with a clear error otherwise) and which identifies itself as
    /// `Switchboard/<version>`. The client follows no redirect and sends no `Referer`: [`follow`]
    /// does the following itself, so it can check each target and decide what goes with it.
    pub fn new(policy: NetPolicy) -> Self {
        install_crypto();
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(PolicyResolver { policy: Arc::clone(&policy) }))
            // A proxy would resolve names itself, out of the policy's reach.
            .no_proxy()
            // reqwest's own redirects keep every custom header (an `X-Api-Key` would reach any
            // host a server redirects to) and add a `Referer` with the full URL and its query.
            .redirect(redirect::Policy::none())
            .referer(false)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "http step: the HTTP client could not be built");
                format!("the HTTP client could not be built: {e}")
            });
        HttpCaller { client, policy }
    }

    /// Performs the request: refuses non-http(s) URLs and IP-literal hosts the policy refuses
    /// (the resolver is not consulted for literals, so they are checked up front); sends
    /// `Idempotency-Key: <key>`; retries up to `request.retries` extra times on a network error,
    /// a timeout or a 5xx, waiting 200ms, 400ms, ... (capped at 5s); never retries a 4xx. Each
    /// attempt, body included, gets `request.timeout`. At most 1 MiB of body is read; it is
    /// parsed as JSON when it is JSON, else kept as a string. Any status, a final 5xx included,
    /// is an [`Outcome::HttpResponse`]; no response at all is an [`Outcome::HttpFailed`] with a
    /// short reason for the workflow's author.
    pub async fn call(&self, request: &HttpRequest, idempotency_key: &str) -> Outcome {
        let client = match &self.client {
            Ok(client) => client,
            Err(reason) => return Outcome::HttpFailed { reason: reason.clone() },
        };
        let prepared = match prepare(&self.policy, request, idempotency_key) {
            Ok(prepared) => prepared,
            Err(reason) => return Outcome::HttpFailed { reason },
        };
        let host = prepared.url.host_str().unwrap_or_default();
        let mut backoff = FIRST_BACKOFF;
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let result = match tokio::time::timeout(request.timeout, send(client, &self.policy, &prepared)).await {
                Ok(result) => result,
                Err(_) => Attempt::Failed {
                    reason: format!("timed out after {}", format_duration(request.timeout)),
                    retry: true,
                },
            };
            let retry = match &result {
                Attempt::Response(Outcome::HttpResponse { status, .. }) => (500..600).contains(status),
                Attempt::Response(_) => false,
                Attempt::Failed { retry, .. } => *retry,
            };
            if !retry || attempt > request.retries {
                if let Attempt::Failed { reason, .. } = &result {
                    tracing::info!(host = %host, attempt, reason = %reason, "http step failed");
                }
                return result.into_outcome();
            }
            tracing::debug!(host = %host, attempt, ?backoff, "http step attempt will be retried");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// A request checked once and sent as many times as the retries need.
struct Prepared {
    method: Method,
    url: Url,
    /// The headers the workflow's author set; they go only to the URL's own origin.
    headers: HeaderMap,
    /// The engine's `Idempotency-Key`, sent with every request (redirects included): it names
    /// no secret, and it is what lets a receiver recognise a retried call.
    idempotency_key: HeaderValue,
    body: Option<String>,
}

/// Checks everything that does not need the network (method, URL, scheme, literal address,
/// headers) so a bad request fails at once instead of once per retry.
fn prepare(policy: &NetPolicy, request: &HttpRequest, idempotency_key: &str) -> Result<Prepared, String> {
    let method = Method::from_bytes(request.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("\"{}\" is not an HTTP method", request.method))?;
    // The URL's own text is not repeated: its query may carry a token.
    let url = Url::parse(request.url.trim()).map_err(|e| format!("the URL is not valid: {e}"))?;
    if let Some(reason) = url_refusal(policy, &url) {
        return Err(reason);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".to_owned());
    }
    let mut headers = HeaderMap::new();
    for (name, value) in &request.headers {
        let name = name.trim();
        if IGNORED_HEADERS.iter().any(|ignored| name.eq_ignore_ascii_case(ignored)) {
            continue;
        }
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| format!("\"{name}\" is not a valid header name"))?;
        // Values may be secrets: the reason names the header, never the value.
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            format!("the value of header {name} is not valid in HTTP (a line break or other control character)")
        })?;
        // Marked sensitive so Debug output shows "Sensitive" and HTTP/2 never indexes it.
        value.set_sensitive(true);
        headers.append(header, value);
    }
    let idempotency_key = HeaderValue::from_str(idempotency_key)
        .map_err(|_| "the idempotency key is not a valid header value".to_owned())?;
    Ok(Prepared { method, url, headers, idempotency_key, body: request.body.clone() })
}

/// What one attempt came to.
enum Attempt {
    /// A response, always an [`Outcome::HttpResponse`].
    Response(Outcome),
    /// No usable response.
    Failed { reason: String, retry: bool },
}

impl Attempt {
    fn into_outcome(self) -> Outcome {
        match self {
            Attempt::Response(outcome) => outcome,
            Attempt::Failed { reason, .. } => Outcome::HttpFailed { reason },
        }
    }
}

/// One attempt: send (following redirects), then read the body up to [`MAX_BODY`]. The caller
/// bounds its time.
async fn send(client: &reqwest::Client, policy: &NetPolicy, prepared: &Prepared) -> Attempt {
    let mut response = match follow(client, policy, prepared).await {
        Ok(response) => response,
        Err(failed) => return failed,
    };
    let status = response.status().as_u16();
    let headers = response_headers(response.headers());
    let too_large = || Attempt::Failed { reason: "response larger than 1 MiB".to_owned(), retry: false };
    // The declared length lets an oversized body fail before any of it is read; the running
    // count catches bodies that do not declare one (chunked) or lie.
    if response.content_length().is_some_and(|len| len > MAX_BODY as u64) {
        return too_large();
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return too_large();
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return describe(e),
        }
    }
    let body =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Attempt::Response(Outcome::HttpResponse { status, headers, body })
}

/// Response headers as lowercase name → value, repeated headers joined with ", ".
fn response_headers(headers: &HeaderMap) -> Map<String, Value> {
    headers
        .keys()
        .map(|name| {
            let values: Vec<String> =
                headers.get_all(name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
            (name.as_str().to_owned(), Value::String(values.join(", ")))
        })
        .collect()
}

/// A short reason for a failed attempt and whether to retry it. reqwest's own message names the
/// whole URL (whose query may hold a token), so the reason comes from the error's causes.
fn describe(error: reqwest::Error) -> Attempt {
    let error = error.without_url();
    let timed_out = error.is_timeout();
    let mut cause: Option<&(dyn StdError + 'static)> = Some(&error);
    let mut deepest: &(dyn StdError + 'static) = &error;
    while let Some(e) = cause {
        if let Some(ours) = e.downcast_ref::<CallError>() {
            return Attempt::Failed { reason: ours.reason.clone(), retry: ours.retry };
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            let reason = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => Some("connection refused"),
                std::io::ErrorKind::ConnectionReset => Some("connection reset by the server"),
                std::io::ErrorKind::ConnectionAborted => Some("connection aborted"),
                std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
                    Some("destination unreachable")
                }
                _ => None,
            };
            if let Some(reason) = reason {
                return Attempt::Failed { reason: reason.to_owned(), retry: true };
            }
            // A certificate or handshake problem will not fix itself in 200ms.
            if let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                return Attempt::Failed { reason: format!("TLS error: {tls}"), retry: false };
            }
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Attempt::Failed { reason: format!("TLS error: {tls}"), retry: false };
        }
        deepest = e;
        cause = e.source();
    }
    if timed_out {
        return Attempt::Failed { reason: "timed out".to_owned(), retry: true };
    }
    Attempt::Failed { reason: format!("request failed: {deepest}"), retry: true }
}

/// "5s", "200ms", "1500ms": the spelling a workflow author would have written.
fn format_duration(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}
