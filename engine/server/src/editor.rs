//! The editor's web app (built from `editor/` into `editor/dist` by `build.rs`), embedded in
//! the binary and served at `/`. Any path outside `/api` that is not a file of the build
//! answers with `index.html`, so the app's own links work when reloaded. Built assets carry
//! a content hash in their names and are cached for a year; `index.html` is never cached.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../../editor/dist"]
#[allow_missing = true]
struct Assets;

/// What the editor's pages may do: load scripts, styles, images and data from this server
/// only; no `eval` (forms validate with an interpreting JSON Schema validator, see
/// `editor/src/shared/validator.ts`); no plugins; no `<base>` to redirect relative URLs; forms post only
/// here; and no other site may frame the editor (clickjacking). Inline styles stay allowed:
/// React Flow positions nodes with `style` attributes.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Serves a file of the editor, or its `index.html`.
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path == "api" {
        return super::error::ApiError::not_found(format!("route {}", uri.path())).into_response();
    }
    // `index.html` is always served by the branch below, with its Content-Security-Policy.
    if let Some(file) = Assets::get(path).filter(|_| !path.is_empty() && path != "index.html") {
        let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
        let mime = file.metadata.mimetype().to_owned();
        return ([(header::CONTENT_TYPE, mime.as_str()), (header::CACHE_CONTROL, cache)], file.data).into_response();
    }
    match Assets::get("index.html") {
        Some(index) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
                (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            ],
            index.data,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            ],
            "<!doctype html><title>Switchboard</title><h1>The editor is not built</h1>\
             <p>This binary was built without Node.js/npm, so it has no editor. Install Node.js 20+ \
             and rebuild (<code>cargo build --release -p switchboard</code>), or run \
             <code>npm ci &amp;&amp; npm run build</code> in <code>editor/</code>. The API works without it.</p>",
        )
            .into_response(),
    }
}
