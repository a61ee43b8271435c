//! Unit tests of the HTTP step against a local mock server: responses, retries, timeouts, body
//! limits, the network policy, redirects and what travels with them.

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
    let entries: Vec<String> =
        ["crm.internal", "10.0.0.0/8", "127.0.0.1/32", "::1/128", " CRM2.Example.COM. ", "192.168.1.10", "[fd00::5]"]
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
    for bad in ["", "10.0.0.0/33", "10.0.0/8", "http://crm.internal", "crm.internal:8080", "a b", "*.internal", "a..b"]
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
