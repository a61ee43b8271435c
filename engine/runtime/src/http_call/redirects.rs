//! Following an HTTP step's redirects by hand: each target checked against the network policy,
//! the method and body changed the way browsers do, and nothing of the author's (headers, body)
//! carried to another origin.

use super::guard::{url_refusal, NetPolicy};
use super::{describe, Attempt, Prepared};
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use reqwest::{Method, Url};

/// Redirects followed before the call fails.
const MAX_REDIRECTS: usize = 5;

/// Sends the request and follows up to [`MAX_REDIRECTS`] redirects the way browsers do (a 303,
/// and a 301 or 302 after a POST, turn into a GET without a body; otherwise method and body are
/// kept), checking each target against the policy. What the author put into the request is meant for the URL's
/// origin alone: once a redirect leaves that origin (scheme, host and port), the author's
/// headers are dropped for the rest of the way, and a body is never carried to another origin
/// (a redirect that would carry it there fails the call). No `Referer` is ever sent.
pub(super) async fn follow(
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
