//! Performing a workflow's `http` step: the network policy (which destinations may be reached), the
//! shared HTTP client with its policy-checking DNS resolver, redirects (checked, and nothing of the
//! author's carried to another origin), retries with backoff, and turning what happened into a
//! [`steps::machine::Outcome`].

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use reqwest::{redirect, Method, Url};
use serde_json::{Map, Value};
use std::error::Error as StdError;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use steps::machine::{HttpRequest, Outcome};

/// The largest response body read; a bigger one fails the call rather than filling memory.
const MAX_BODY: usize = 1024 * 1024;
/// Redirects followed before the call fails.
const MAX_REDIRECTS: usize = 5;
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

/// Which destinations the HTTP step may reach. By default private, loopback, link-local,
/// unique-local, CGNAT (100.64/10), multicast, broadcast, unspecified and documentation
/// ranges (v4 and v6, including IPv4-mapped v6 like ::ffff:127.0.0.1) are refused, so a workflow
/// author cannot use Switchboard to reach the machines around it (cloud metadata, databases,
/// admin consoles). The allow-list lets an operator open specific internal services.
#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    /// Host names (lowercase, without a trailing dot) that may resolve to any address.
    allow_hosts: Vec<String>,
    /// Networks that may be reached whatever name led to them.
    allow_nets: Vec<IpNet>,
}

impl NetPolicy {
    /// A policy that also permits these host names (exact, case-insensitive) and networks.
    pub fn new(allow_hosts: Vec<String>, allow_nets: Vec<IpNet>) -> Self {
        let allow_hosts = allow_hosts.iter().map(|h| normalise_host(h)).collect();
        let allow_nets = allow_nets.iter().map(IpNet::trunc).collect();
        NetPolicy { allow_hosts, allow_nets }
    }

    /// Parses entries like "crm.internal", "10.0.0.0/8", "127.0.0.1/32", "::1/128". A bare
    /// address ("10.0.0.5") means that one address. Every bad entry is reported, joined by "; ".
    pub fn from_entries(entries: &[String]) -> Result<Self, String> {
        let mut hosts = Vec::new();
        let mut nets = Vec::new();
        let mut problems = Vec::new();
        for entry in entries {
            match parse_entry(entry.trim()) {
                Ok(Entry::Host(host)) => hosts.push(host),
                Ok(Entry::Net(net)) => nets.push(net),
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(NetPolicy::new(hosts, nets))
        } else {
            Err(problems.join("; "))
        }
    }

    /// May a connection to `ip`, reached through the name `host` (or the literal itself), be made?
    pub fn allows_ip(&self, host: &str, ip: IpAddr) -> bool {
        self.refusal(host, ip).is_none()
    }

    /// Why a connection to `ip` through `host` is refused, as a sentence for the step's `error`
    /// output; `None` when it is permitted.
    fn refusal(&self, host: &str, ip: IpAddr) -> Option<String> {
        let host = normalise_host(host);
        if self.allow_hosts.contains(&host) {
            return None;
        }
        // An allow-listed 127.0.0.1/32 also covers ::ffff:127.0.0.1: both reach the same socket.
        let canonical = ip.to_canonical();
        if self.allow_nets.iter().any(|net| net.contains(&ip) || net.contains(&canonical)) {
            return None;
        }
        let kind = restricted_kind(ip)?;
        // A literal is shown once, in its usual spelling (URLs spell ::ffff:127.0.0.1 in hex).
        let destination =
            if host.parse::<IpAddr>().ok() == Some(ip) { ip.to_string() } else { format!("{host} ({ip})") };
        Some(format!("destination {destination} is {kind}; add it to the HTTP allow-list to call it"))
    }
}

/// One parsed allow-list entry.
enum Entry {
    Host(String),
    Net(IpNet),
}

/// One allow-list entry: a network with a `/`, a bare address (that address alone), else a host name.
fn parse_entry(entry: &str) -> Result<Entry, String> {
    if entry.is_empty() {
        return Err("an allow-list entry is empty".to_owned());
    }
    if entry.contains('/') {
        return entry
            .parse::<IpNet>()
            .map(Entry::Net)
            .map_err(|_| format!("\"{entry}\" is not a network (write one like 10.0.0.0/8 or fd00::/8)"));
    }
    let bare = entry.strip_prefix('[').and_then(|e| e.strip_suffix(']')).unwrap_or(entry);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(Entry::Net(IpNet::from(ip)));
    }
    if entry.contains('*') {
        return Err(format!("\"{entry}\": wildcards are not supported; list each host name"));
    }
    let name = entry.strip_suffix('.').unwrap_or(entry);
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if name.len() <= 253 && name.split('.').all(valid_label) {
        Ok(Entry::Host(normalise_host(entry)))
    } else {
        Err(format!(
            "\"{entry}\" is neither a host name (like crm.internal, without scheme or port) \
             nor a network (like 10.0.0.0/8)"
        ))
    }
}

/// Host names compare case-insensitively and with or without the root's trailing dot; IPv6
/// literals compare without their URL brackets.
fn normalise_host(host: &str) -> String {
    let host = host.trim();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// The kind of a non-public address (with its article, for messages), or `None` when the
/// address is publicly routable.
fn restricted_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_kind(v4),
        IpAddr::V6(v6) => v6_kind(v6),
    }
}

/// [`restricted_kind`] for IPv4.
fn v4_kind(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(if ip.is_unspecified() {
        "an unspecified address"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if a == 100 && (b & 0xc0) == 64 {
        "a shared (CGNAT) address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if ip.is_documentation() {
        "a documentation address"
    } else if a == 198 && (b & 0xfe) == 18 {
        "a benchmarking address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if ip.is_broadcast() {
        "the broadcast address"
    } else if a == 0 || a >= 240 || (a, b, c) == (192, 0, 0) || (a, b, c) == (192, 88, 99) {
        // "This network", the future-use block, IETF protocol assignments and the deprecated
        // 6to4 relay anycast: none of them is a place a webhook lives.
        "a reserved address"
    } else {
        return None;
    })
}

/// [`restricted_kind`] for IPv6; forms that carry an IPv4 address are judged by that address.
fn v6_kind(ip: Ipv6Addr) -> Option<&'static str> {
    // ::ffff:a.b.c.d reaches the IPv4 host a.b.c.d, so it gets that address's verdict.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_kind(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that a gateway will
    // reach; judge that address so 64:ff9b::a00:1 cannot stand in for 10.0.0.1.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_kind(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        if let Some(kind) = v4_kind(embedded_v4(s[1], s[2])) {
            return Some(kind);
        }
    }
    Some(if s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1 {
        "a private address"
    } else if (s[0] & 0xfe00) == 0xfc00 {
        "a unique-local address"
    } else if (s[0] & 0xffc0) == 0xfe80 {
        "a link-local address"
    } else if (s[0] & 0xffc0) == 0xfec0 {
        "a site-local address"
    } else if (s[0] & 0xff00) == 0xff00 {
        "a multicast address"
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] < 0x1000) {
        "a documentation address"
    } else if s[0] == 0x2001 && s[1] == 2 && s[2] == 0 {
        "a benchmarking address"
    } else if (s[0] == 0x2001 && s[1] < 0x200) || (s[0] & 0xe000) != 0x2000 {
        // IETF protocol assignments (Teredo, ORCHID, ...) and everything outside global
        // unicast 2000::/3 (IPv4-compatible ::a.b.c.d, discard-only 100::/64, ...).
        "a reserved address"
    } else {
        return None;
    })
}

/// An error this module raises inside reqwest (from the resolver); it travels in the error's
/// source chain and is found again by [`describe`].
#[derive(Debug)]
struct CallError {
    reason: String,
    /// Is another attempt worth making? A refused destination stays refused.
    retry: bool,
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl StdError for CallError {}

/// Resolves names with the system resolver and hands reqwest only the addresses the policy
/// allows. Because reqwest asks it for every new connection (redirects included), a name that
/// resolves to a public address when checked and to a private one later cannot slip through.
#[derive(Debug)]
struct PolicyResolver {
    policy: Arc<NetPolicy>,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| CallError { reason: format!("could not resolve {host}: {e}"), retry: true })?;
            let mut allowed: Vec<SocketAddr> = Vec::new();
            let mut first_refusal = None;
            for addr in resolved {
                match policy.refusal(&host, addr.ip()) {
                    None => allowed.push(addr),
                    Some(reason) => {
                        first_refusal.get_or_insert(reason);
                    }
                }
            }
            if allowed.is_empty() {
                let reason = first_refusal.unwrap_or_else(|| format!("could not resolve {host}: no addresses"));
                tracing::warn!(host = %host, "http step: destination refused by the network policy");
                return Err(Box::new(CallError { reason, retry: false }) as Box<dyn StdError + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Why a URL cannot be called at all: a scheme other than http(s), no host, or an IP literal
/// the policy refuses (reqwest connects to literals without asking the resolver).
fn url_refusal(policy: &NetPolicy, url: &Url) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("only http and https URLs can be called, not {}:", url.scheme()));
    }
    let host = url.host_str()?;
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let ip = literal.parse::<IpAddr>().ok()?;
    policy.refusal(literal, ip)
}

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

/// Sends the request and follows up to [`MAX_REDIRECTS`] redirects the way browsers do (a 303,
/// and a 301 or 302 after a POST, turn into a GET without a body; otherwise method and body are
/// kept), checking each target against the policy. What the author put into the request is meant for the URL's
/// origin alone: once a redirect leaves that origin (scheme, host and port), the author's
/// headers are dropped for the rest of the way, and a body is never carried to another origin
/// (a redirect that would carry it there fails the call). No `Referer` is ever sent.
async fn follow(
    client: &reqwest::Client,
    policy: &NetPolicy,
    prepared: &Prepared,
) -> Result<reqwest::Response, Attempt> {
    let origin = prepared.url.origin();
    let mut method = prepared.method.clone();
    let mut url = prepared.url.clone();
    let mut headers = prepared.headers.clone();
    let mut body = prepared.body.clone();
    let mut redirects = 0usize;
    loop {
        let mut builder = client.request(method.clone(), url.clone()).headers(headers.clone());
        builder = builder.header("idempotency-key", prepared.idempotency_key.clone());
        if let Some(body) = &body {
            builder = builder.body(body.clone());
        }
        let response = builder.send().await.map_err(describe)?;
        let Some(next) = redirect_target(&response, &url) else {
            return Ok(response);
        };
        redirects += 1;
        if redirects > MAX_REDIRECTS {
            let reason = format!("too many redirects (more than {MAX_REDIRECTS})");
            return Err(Attempt::Failed { reason, retry: false });
        }
        if let Some(reason) = url_refusal(policy, &next) {
            return Err(Attempt::Failed { reason: format!("redirected: {reason}"), retry: false });
        }
        let status = response.status().as_u16();
        // The Fetch standard's rule: a 303 is fetched with GET (HEAD stays HEAD), a POST
        // answered with 301 or 302 too; the body and what described it stay behind.
        let to_get = match status {
            303 => method != Method::HEAD,
            301 | 302 => method == Method::POST,
            _ => false,
        };
        if to_get {
            method = Method::GET;
            body = None;
            for name in [CONTENT_TYPE, CONTENT_ENCODING] {
                headers.remove(name);
            }
        }
        if next.origin() != origin {
            if body.is_some() {
                // The host is named so the author can see where it went; the URL is not (its
                // query may carry a token).
                let host = next.host_str().unwrap_or_default();
                let reason = format!(
                    "redirected ({status}) with the request body to another origin ({host}); not followed, \
                     so the body stays with the server it was written for"
                );
                return Err(Attempt::Failed { reason, retry: false });
            }
            if !headers.is_empty() {
                let host = next.host_str().unwrap_or_default();
                tracing::debug!(%host, "http step: redirected to another origin; the step's headers stay behind");
            }
            headers.clear();
        }
        url = next;
    }
}

/// Where a redirect response points: the `Location` of a 301, 302, 303, 307 or 308, resolved
/// against the URL that answered. `None` for any other response, and for a redirect without a
/// usable `Location`, which is then the answer itself.
fn redirect_target(response: &reqwest::Response, url: &Url) -> Option<Url> {
    if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    url.join(location).ok()
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap as AxumHeaders, StatusCode};
    use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
    use axum::routing::{any, get};
    use axum::{Json, Router};
    use serde_json::json;
    use std::collections::HashMap;
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// What the mock server saw.
    #[derive(Default)]
    struct Seen {
        hits: AtomicUsize,
        keys: Mutex<Vec<String>>,
    }

    impl Seen {
        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }

        fn record(&self, headers: &AxumHeaders) -> usize {
            let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("<none>");
            self.keys.lock().unwrap().push(key.to_owned());
            self.hits.fetch_add(1, Ordering::SeqCst) + 1
        }
    }

    type Shared = Arc<Seen>;

    async fn echo(State(seen): State<Shared>, headers: AxumHeaders, body: String) -> Response {
        seen.record(&headers);
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let all_keys: Vec<String> =
            headers.get_all("idempotency-key").iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect();
        let reply = json!({
            "ok": true,
            "user_agent": header("user-agent"),
            "token": header("x-token"),
            "idempotency_keys": all_keys,
            "body": body,
        });
        (AppendHeaders([("x-custom", "one"), ("x-multi", "a"), ("x-multi", "b")]), Json(reply)).into_response()
    }

    async fn flaky(State(seen): State<Shared>, headers: AxumHeaders) -> Response {
        let hit = seen.record(&headers);
        if hit <= 2 {
            (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
        } else {
            (StatusCode::OK, "fine now").into_response()
        }
    }

    async fn always(State(seen): State<Shared>, headers: AxumHeaders, status: StatusCode) -> Response {
        seen.record(&headers);
        (status, "nope").into_response()
    }

    async fn slow(State(seen): State<Shared>, headers: AxumHeaders) -> &'static str {
        seen.record(&headers);
        // Provokes the client's timeout; not used to order anything.
        tokio::time::sleep(Duration::from_secs(5)).await;
        "late"
    }

    /// Answers with what it received: the method, every header (lowercase name → value) and the body.
    async fn headers_seen(
        State(seen): State<Shared>,
        method: axum::http::Method,
        headers: AxumHeaders,
        body: String,
    ) -> Json<Value> {
        seen.record(&headers);
        let all: Map<String, Value> = headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), json!(value.to_str().unwrap_or("<binary>"))))
            .collect();
        Json(json!({"method": method.as_str(), "headers": all, "body": body}))
    }

    /// `/redirect?status=307&to=URL` answers with that redirect.
    async fn redirect_to(Query(query): Query<HashMap<String, String>>) -> Response {
        let status = query.get("status").and_then(|s| s.parse().ok()).unwrap_or(302);
        let status = StatusCode::from_u16(status).unwrap();
        (status, [("location", query["to"].clone())]).into_response()
    }

    async fn big(State(seen): State<Shared>, headers: AxumHeaders) -> Vec<u8> {
        seen.record(&headers);
        vec![b'x'; MAX_BODY + 1]
    }

    /// A mock on 127.0.0.1:0; returns its base URL and what it saw.
    async fn mock() -> (String, Shared) {
        let seen = Shared::default();
        let app = Router::new()
            .route("/echo", any(echo))
            .route("/flaky", get(flaky))
            .route("/missing", get(|s: State<Shared>, h: AxumHeaders| always(s, h, StatusCode::NOT_FOUND)))
            .route("/broken", get(|s: State<Shared>, h: AxumHeaders| always(s, h, StatusCode::BAD_GATEWAY)))
            .route("/slow", get(slow))
            .route("/big", get(big))
            .route("/headers", any(headers_seen))
            .route("/redirect", any(redirect_to))
            .route("/to-metadata", get(|| async { Redirect::temporary("http://169.254.169.254/latest/meta-data") }))
            .route("/to-echo", get(|| async { Redirect::temporary("/echo") }))
            .route("/loop", get(|| async { Redirect::temporary("/loop") }))
            .with_state(Arc::clone(&seen));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), seen)
    }

    fn local_caller() -> HttpCaller {
        HttpCaller::new(NetPolicy::from_entries(&["127.0.0.1/32".into()]).unwrap())
    }

    fn get_request(url: &str) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(5),
            retries: 0,
            secrets: Vec::new(),
            json_body: false,
        }
    }

    fn failure(outcome: Outcome) -> String {
        match outcome {
            Outcome::HttpFailed { reason } => reason,
            other => panic!("expected HttpFailed, got {other:?}"),
        }
    }

    fn response(outcome: Outcome) -> (u16, Map<String, Value>, Value) {
        match outcome {
            Outcome::HttpResponse { status, headers, body } => (status, headers, body),
            other => panic!("expected HttpResponse, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn success_parses_json_and_headers() {
        let (base, seen) = mock().await;
        let mut request = get_request(&format!("{base}/echo"));
        request.method = "post".into();
        request.headers = vec![
            ("X-Token".into(), "secret-123".into()),
            ("Content-Type".into(), "application/json".into()),
            ("Connection".into(), "close".into()),
            ("Host".into(), "evil.example".into()),
        ];
        request.body = Some(r#"{"hello":"world"}"#.into());
        let (status, headers, body) = response(local_caller().call(&request, "run-1/step-a/1").await);
        assert_eq!(status, 200);
        assert_eq!(body["ok"], json!(true));
        assert_eq!(body["token"], json!("secret-123"));
        assert_eq!(body["body"], json!(r#"{"hello":"world"}"#));
        assert_eq!(body["user_agent"], json!(format!("Switchboard/{}", env!("CARGO_PKG_VERSION"))));
        assert_eq!(headers["content-type"], json!("application/json"));
        assert_eq!(headers["x-custom"], json!("one"));
        assert_eq!(headers["x-multi"], json!("a, b"));
        assert!(headers.keys().all(|k| k == &k.to_ascii_lowercase()));
        assert_eq!(seen.hits(), 1);
    }

    #[tokio::test]
    async fn text_body_is_kept_as_a_string() {
        let (base, _) = mock().await;
        let (status, _, body) = response(local_caller().call(&get_request(&format!("{base}/missing")), "k").await);
        assert_eq!((status, body), (404, json!("nope")));
    }

    #[tokio::test]
    async fn callers_idempotency_key_wins() {
        let (base, _) = mock().await;
        let mut request = get_request(&format!("{base}/echo"));
        request.headers = vec![("idempotency-key".into(), "theirs".into())];
        let (_, _, body) = response(local_caller().call(&request, "ours").await);
        assert_eq!(body["idempotency_keys"], json!(["ours"]));
    }

    #[tokio::test]
    async fn retries_after_503_with_the_same_key() {
        let (base, seen) = mock().await;
        let mut request = get_request(&format!("{base}/flaky"));
        request.retries = 2;
        let (status, _, body) = response(local_caller().call(&request, "key-7").await);
        assert_eq!((status, body), (200, json!("fine now")));
        assert_eq!(seen.hits(), 3);
        assert_eq!(*seen.keys.lock().unwrap(), vec!["key-7"; 3]);
    }

    #[tokio::test]
    async fn a_final_5xx_is_a_response() {
        let (base, seen) = mock().await;
        let mut request = get_request(&format!("{base}/broken"));
        request.retries = 1;
        let (status, _, _) = response(local_caller().call(&request, "k").await);
        assert_eq!(status, 502);
        assert_eq!(seen.hits(), 2, "one attempt and one retry");
    }

    #[tokio::test]
    async fn a_4xx_is_not_retried() {
        let (base, seen) = mock().await;
        let mut request = get_request(&format!("{base}/missing"));
        request.retries = 3;
        let (status, _, _) = response(local_caller().call(&request, "k").await);
        assert_eq!(status, 404);
        assert_eq!(seen.hits(), 1);
    }

    #[tokio::test]
    async fn a_slow_server_times_out_and_is_retried() {
        let (base, seen) = mock().await;
        let mut request = get_request(&format!("{base}/slow"));
        request.timeout = Duration::from_millis(200);
        request.retries = 1;
        let reason = failure(local_caller().call(&request, "k").await);
        assert_eq!(reason, "timed out after 200ms");
        assert_eq!(seen.hits(), 2);
    }

    #[tokio::test]
    async fn nothing_listening_is_connection_refused() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let reason = failure(local_caller().call(&get_request(&format!("http://127.0.0.1:{port}/")), "k").await);
        assert_eq!(reason, "connection refused");
    }

    #[tokio::test]
    async fn an_oversized_body_fails() {
        let (base, seen) = mock().await;
        let mut request = get_request(&format!("{base}/big"));
        request.retries = 2;
        let reason = failure(local_caller().call(&request, "k").await);
        assert_eq!(reason, "response larger than 1 MiB");
        assert_eq!(seen.hits(), 1, "a body that is too large will not shrink on retry");
    }

    /// A chunked body declares no length, so only the running count can stop it.
    #[tokio::test]
    async fn an_oversized_chunked_body_fails() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                request.push(byte[0]);
            }
            let chunk = vec![b'y'; 64 * 1024];
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            for _ in 0..20 {
                let _ = stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes());
                let _ = stream.write_all(&chunk);
                let _ = stream.write_all(b"\r\n");
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        });
        let reason = failure(local_caller().call(&get_request(&format!("http://{addr}/")), "k").await);
        assert_eq!(reason, "response larger than 1 MiB");
    }

    #[tokio::test]
    async fn default_policy_refuses_internal_destinations_without_calling_them() {
        let (base, seen) = mock().await;
        let port = base.rsplit(':').next().unwrap();
        let caller = HttpCaller::new(NetPolicy::default());
        let cases = [
            (format!("http://127.0.0.1:{port}/echo"), "destination 127.0.0.1 is a loopback address"),
            (format!("http://localhost:{port}/echo"), "destination localhost ("),
            (format!("http://[::1]:{port}/echo"), "destination ::1 is a loopback address"),
            ("http://169.254.169.254/latest/meta-data".into(), "169.254.169.254 is a link-local address"),
            ("http://10.1.2.3/".into(), "destination 10.1.2.3 is a private address"),
            (format!("http://[::ffff:127.0.0.1]:{port}/echo"), "destination ::ffff:127.0.0.1 is a loopback address"),
            ("http://2130706433/".into(), "destination 127.0.0.1 is a loopback address"),
            ("http://100.64.0.1/".into(), "is a shared (CGNAT) address"),
            ("http://[fd00::1]/".into(), "is a unique-local address"),
        ];
        for (url, expected) in cases {
            let reason = failure(caller.call(&get_request(&url), "k").await);
            assert!(reason.contains(expected), "{url}: {reason}");
            assert!(reason.ends_with("add it to the HTTP allow-list to call it"), "{url}: {reason}");
        }
        assert_eq!(seen.hits(), 0);
    }

    #[tokio::test]
    async fn an_allow_listed_host_name_reaches_loopback_through_the_resolver() {
        let (base, seen) = mock().await;
        let port = base.rsplit(':').next().unwrap();
        let caller = HttpCaller::new(NetPolicy::from_entries(&["LocalHost".into()]).unwrap());
        // Only the name is allowed, not the address: the literal stays refused.
        let literal = failure(caller.call(&get_request(&format!("http://127.0.0.1:{port}/echo")), "k").await);
        assert!(literal.contains("loopback"), "{literal}");
        let (status, _, _) = response(caller.call(&get_request(&format!("http://localhost:{port}/echo")), "k").await);
        assert_eq!(status, 200);
        assert_eq!(seen.hits(), 1);
    }

    #[tokio::test]
    async fn redirects_are_followed_and_checked() {
        let (base, seen) = mock().await;
        let caller = local_caller();
        let (status, _, body) = response(caller.call(&get_request(&format!("{base}/to-echo")), "k").await);
        assert_eq!((status, &body["ok"]), (200, &json!(true)));
        assert_eq!(seen.hits(), 1);

        let reason = failure(caller.call(&get_request(&format!("{base}/to-metadata")), "k").await);
        assert!(reason.starts_with("redirected: destination 169.254.169.254 is a link-local address"), "{reason}");

        let reason = failure(caller.call(&get_request(&format!("{base}/loop")), "k").await);
        assert_eq!(reason, "too many redirects (more than 5)");
    }

    /// `base/redirect?status=…&to=…`, with the target percent-encoded.
    fn redirect_url(base: &str, status: u16, to: &str) -> String {
        let to: String = url::form_urlencoded::byte_serialize(to.as_bytes()).collect();
        format!("{base}/redirect?status={status}&to={to}")
    }

    /// A request carrying what an author typically sets: credentials and a custom header.
    fn with_secrets(url: &str) -> HttpRequest {
        let mut request = get_request(url);
        request.headers = vec![
            ("X-Api-Key".into(), "key-123".into()),
            ("Authorization".into(), "Bearer tok-456".into()),
            ("Cookie".into(), "session=789".into()),
            ("X-Custom".into(), "custom".into()),
        ];
        request
    }

    /// Two servers on 127.0.0.1 with different ports are different origins: whatever the first
    /// redirects to, the second sees none of the author's headers and no `Referer` (which would
    /// carry the first URL with its query).
    #[tokio::test]
    async fn a_redirect_to_another_origin_carries_none_of_the_authors_headers_and_no_referer() {
        let (first, first_seen) = mock().await;
        let (second, second_seen) = mock().await;
        let caller = local_caller();
        for status in [301, 302, 303, 307, 308] {
            let start = redirect_url(&first, status, &format!("{second}/headers"));
            let url = format!("{start}&token=secret-query");
            let (code, _, body) = response(caller.call(&with_secrets(&url), "run-1/step-a/1").await);
            assert_eq!(code, 200, "{status}: {body}");
            let seen = body["headers"].as_object().unwrap();
            for name in ["x-api-key", "authorization", "cookie", "x-custom", "referer"] {
                assert!(!seen.contains_key(name), "{status}: the second origin saw {name}: {body}");
            }
            assert!(!body.to_string().contains("secret-query"), "{status}: {body}");
            assert_eq!(seen["idempotency-key"], json!("run-1/step-a/1"), "{status}");
            assert_eq!(seen["user-agent"], json!(USER_AGENT), "{status}");
        }
        assert_eq!(second_seen.hits(), 5);
        assert_eq!(first_seen.hits(), 0, "the redirecting route records nothing");

        // Coming back to the first origin does not bring the headers back.
        let back = redirect_url(&second, 302, &format!("{first}/headers"));
        let there_and_back = redirect_url(&first, 302, &back);
        let (_, _, body) = response(caller.call(&with_secrets(&there_and_back), "k").await);
        let seen = body["headers"].as_object().unwrap();
        assert!(!seen.contains_key("x-api-key") && !seen.contains_key("referer"), "{body}");
    }

    #[tokio::test]
    async fn a_redirect_within_the_origin_keeps_the_headers_but_sends_no_referer() {
        let (base, _) = mock().await;
        let url = redirect_url(&base, 307, "/headers");
        let (code, _, body) = response(local_caller().call(&with_secrets(&url), "k").await);
        assert_eq!(code, 200);
        assert_eq!(body["headers"]["x-api-key"], json!("key-123"));
        assert_eq!(body["headers"]["authorization"], json!("Bearer tok-456"));
        assert!(body["headers"].get("referer").is_none(), "{body}");
    }

    #[tokio::test]
    async fn a_body_never_follows_a_redirect_to_another_origin() {
        let (first, _) = mock().await;
        let (second, second_seen) = mock().await;
        let caller = local_caller();
        let post = |url: &str| {
            let mut request = with_secrets(url);
            request.method = "POST".into();
            request.headers.push(("Content-Type".into(), "application/json".into()));
            request.body = Some(r#"{"card":"4111"}"#.into());
            request
        };
        for (method, status) in [("POST", 307), ("POST", 308), ("PUT", 302)] {
            let url = redirect_url(&first, status, &format!("{second}/headers"));
            let mut request = post(&url);
            request.method = method.into();
            let reason = failure(caller.call(&request, "k").await);
            assert!(reason.contains("with the request body to another origin (127.0.0.1)"), "{reason}");
        }
        assert_eq!(second_seen.hits(), 0);
        // A 303, and a 301 or 302 after a POST, become a GET without the body, as in browsers.
        for status in [301, 302, 303] {
            let url = redirect_url(&first, status, &format!("{second}/headers"));
            let (_, _, body) = response(caller.call(&post(&url), "k").await);
            assert_eq!((&body["method"], &body["body"]), (&json!("GET"), &json!("")), "{status}");
            assert!(body["headers"].get("content-type").is_none(), "{status}: {body}");
        }
        // Within the origin a 307 keeps the method and the body.
        let url = redirect_url(&first, 307, "/headers");
        let (_, _, body) = response(caller.call(&post(&url), "k").await);
        assert_eq!((&body["method"], &body["body"]), (&json!("POST"), &json!(r#"{"card":"4111"}"#)));
    }

    #[tokio::test]
    async fn only_http_and_https_are_called() {
        let caller = local_caller();
        for url in ["ftp://example.com/file", "file:///etc/passwd", "gopher://127.0.0.1/"] {
            let reason = failure(caller.call(&get_request(url), "k").await);
            assert!(reason.starts_with("only http and https URLs can be called"), "{url}: {reason}");
        }
        let reason = failure(caller.call(&get_request("not a url"), "k").await);
        assert!(reason.starts_with("the URL is not valid"), "{reason}");
    }

    #[tokio::test]
    async fn bad_headers_fail_without_showing_the_value() {
        let (base, seen) = mock().await;
        let mut request = get_request(&format!("{base}/echo"));
        request.headers = vec![("X-Token".into(), "secret\r\nInjected: yes".into())];
        let reason = failure(local_caller().call(&request, "k").await);
        assert!(reason.contains("X-Token") && !reason.contains("secret"), "{reason}");
        request.headers = vec![("Bad Name".into(), "v".into())];
        let reason = failure(local_caller().call(&request, "k").await);
        assert_eq!(reason, "\"Bad Name\" is not a valid header name");
        assert_eq!(seen.hits(), 0);
    }

    #[test]
    fn from_entries_parses_hosts_networks_and_addresses() {
        let entries: Vec<String> = [
            "crm.internal",
            "10.0.0.0/8",
            "127.0.0.1/32",
            "::1/128",
            " CRM2.Example.COM. ",
            "192.168.1.10",
            "[fd00::5]",
        ]
        .map(String::from)
        .to_vec();
        let policy = NetPolicy::from_entries(&entries).unwrap();
        assert_eq!(policy.allow_hosts, vec!["crm.internal", "crm2.example.com"]);
        let nets: Vec<String> = policy.allow_nets.iter().map(ToString::to_string).collect();
        assert_eq!(nets, vec!["10.0.0.0/8", "127.0.0.1/32", "::1/128", "192.168.1.10/32", "fd00::5/128"]);
        assert!(policy.allows_ip("anything", "10.9.8.7".parse().unwrap()));
        assert!(policy.allows_ip("crm.internal", "172.16.0.1".parse().unwrap()));
        assert!(policy.allows_ip("CRM.internal.", "172.16.0.1".parse().unwrap()));
        assert!(!policy.allows_ip("other.internal", "172.16.0.1".parse().unwrap()));
        assert!(NetPolicy::from_entries(&[]).unwrap().allow_nets.is_empty());
    }

    #[test]
    fn from_entries_reports_every_bad_entry() {
        for bad in
            ["", "10.0.0.0/33", "10.0.0/8", "http://crm.internal", "crm.internal:8080", "a b", "*.internal", "a..b"]
        {
            let result = NetPolicy::from_entries(&[bad.to_owned()]);
            assert!(result.is_err(), "{bad:?} should be refused");
        }
        let error = NetPolicy::from_entries(&["ok.example".into(), "x/1".into(), "y z".into()]).unwrap_err();
        assert_eq!(error.matches("; ").count(), 1, "{error}");
        assert!(error.contains("\"x/1\"") && error.contains("\"y z\""), "{error}");
    }

    #[test]
    fn default_policy_knows_the_internal_ranges() {
        let policy = NetPolicy::default();
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.5",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.8.9.10",
            "169.254.169.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:a00:1::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "2001:2::1",
            "100::1",
        ];
        for ip in refused {
            assert!(!policy.allows_ip(ip, ip.parse().unwrap()), "{ip} should be refused");
        }
        let allowed =
            ["1.1.1.1", "8.8.8.8", "93.184.215.14", "100.128.0.1", "172.32.0.1", "2606:4700::1111", "64:ff9b::808:808"];
        for ip in allowed {
            assert!(policy.allows_ip(ip, ip.parse().unwrap()), "{ip} should be allowed");
        }
        let reason = policy.refusal("10.0.0.5", "10.0.0.5".parse().unwrap()).unwrap();
        assert_eq!(reason, "destination 10.0.0.5 is a private address; add it to the HTTP allow-list to call it");
        let reason = policy.refusal("crm.internal", "10.0.0.5".parse().unwrap()).unwrap();
        assert!(reason.starts_with("destination crm.internal (10.0.0.5) is a private address"), "{reason}");
    }

    #[test]
    fn an_allowed_v4_network_covers_its_mapped_v6_form() {
        let policy = NetPolicy::new(Vec::new(), vec!["127.0.0.1/32".parse().unwrap()]);
        assert!(policy.allows_ip("x", "::ffff:127.0.0.1".parse().unwrap()));
        assert!(!policy.allows_ip("x", "127.0.0.2".parse().unwrap()));
    }

    #[test]
    fn install_crypto_can_run_twice() {
        install_crypto();
        install_crypto();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    #[test]
    fn durations_are_spelled_like_the_workflow_file() {
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_duration(Duration::from_millis(200)), "200ms");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }
}
