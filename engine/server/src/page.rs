//! Cursor pagination, the same on every list: the answer stays a JSON array; `limit` (1 to
//! 1,000, default 100) and `after` (the cursor of the previous page) are query parameters; an
//! answer with another page after it carries `X-Next-Cursor: <cursor>` and
//! `Link: <this URL with after=cursor>; rel="next"`. A cursor is opaque to clients: the
//! base64url text of the last item's sort key (`runtime::Page::next`), checked on the way back
//! in (a malformed one is a 400 naming `after`).

use super::error::ApiError;
use axum::http::{HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use runtime::{Page, MAX_PAGE};

/// The page size when `limit` is not given.
pub const DEFAULT_LIMIT: i64 = 100;

/// The response header with the next page's cursor.
pub const NEXT_CURSOR: &str = "x-next-cursor";

/// The query parameters every list takes; list queries repeat these two fields (serde's
/// `flatten` does not read numbers from a query string) and call [`PageParams::new`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageParams {
    pub limit: i64,
    pub after: Option<String>,
}

impl PageParams {
    /// Checks `limit` (1 to 1,000; absent: 100).
    pub fn new(limit: Option<i64>, after: Option<String>) -> Result<PageParams, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ApiError::bad_request(format!("`limit` must be 1 to {MAX_PAGE}, not {limit}")));
        }
        Ok(PageParams { limit, after })
    }

    /// The sort key in `after`, if one was given.
    pub fn after<K: CursorKey>(&self) -> Result<Option<K>, ApiError> {
        let Some(text) = self.after.as_deref() else { return Ok(None) };
        let bad = || {
            ApiError::bad_request(
                "`after` is not a cursor of this list; pass the `X-Next-Cursor` of the previous page unchanged",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        K::parse(&text).map(Some).ok_or_else(bad)
    }
}

/// A sort key that a cursor carries.
pub trait CursorKey: Sized {
    fn write(&self) -> String;
    fn parse(text: &str) -> Option<Self>;
}

/// An id (runs, contacts, messages, tokens).
impl CursorKey for i64 {
    fn write(&self) -> String {
        format!("id:{self}")
    }

    fn parse(text: &str) -> Option<i64> {
        text.strip_prefix("id:")?.parse().ok()
    }
}

/// A rank and an id (conversations: priority, then newest).
impl CursorKey for (i64, i64) {
    fn write(&self) -> String {
        format!("rank:{}:{}", self.0, self.1)
    }

    fn parse(text: &str) -> Option<(i64, i64)> {
        let (rank, id) = text.strip_prefix("rank:")?.split_once(':')?;
        Some((rank.parse().ok()?, id.parse().ok()?))
    }
}

/// The cursor of a sort key.
pub fn cursor<K: CursorKey>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(key.write())
}

/// A page of a list as a handler answers it: a JSON array of `T` with the next page's
/// headers (see [`respond`]); the type says what the items are, for the OpenAPI document.
#[derive(Debug)]
pub struct Paged<T>(Response, std::marker::PhantomData<T>);

impl<T> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        self.0
    }
}

/// [`respond`], typed.
pub fn paged<T: serde::Serialize, K: CursorKey>(page: Page<T, K>, uri: &Uri) -> Paged<T> {
    Paged(respond(page, uri), std::marker::PhantomData)
}

/// Converts each item of a page, failing on the first that does not convert.
pub fn try_map<T, U, K>(page: Page<T, K>, f: impl FnMut(T) -> Result<U, ApiError>) -> Result<Page<U, K>, ApiError> {
    Ok(Page { items: page.items.into_iter().map(f).collect::<Result<_, _>>()?, next: page.next })
}

/// The answer: the page's items as a JSON array, with `X-Next-Cursor` and `Link` when another
/// page follows. `uri` is the request's, so the link keeps its filters.
pub fn respond<T: serde::Serialize, K: CursorKey>(page: Page<T, K>, uri: &Uri) -> Response {
    let mut res = axum::Json(page.items).into_response();
    if let Some(next) = page.next {
        let next = cursor(&next);
        let mut query: Vec<String> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty() && !pair.starts_with("after=") && *pair != "after")
            .map(str::to_owned)
            .collect();
        query.push(format!("after={next}"));
        let link = format!("<{}?{}>; rel=\"next\"", uri.path(), query.join("&"));
        if let Ok(value) = HeaderValue::from_str(&next) {
            res.headers_mut().insert(NEXT_CURSOR, value);
        }
        if let Ok(value) = HeaderValue::from_str(&link) {
            res.headers_mut().insert(axum::http::header::LINK, value);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let page = |after: &str| PageParams::new(None, Some(after.to_owned())).expect("limit");
        assert_eq!(page(&cursor(&42_i64)).after::<i64>().expect("id"), Some(42));
        assert_eq!(page(&cursor(&(2_i64, 7_i64))).after::<(i64, i64)>().expect("rank"), Some((2, 7)));
        for bad in ["", "!!", "42", &cursor(&(2_i64, 7_i64))] {
            let e = page(bad).after::<i64>().expect_err(bad);
            assert!(e.message.contains("`after`"), "{bad}: {}", e.message);
        }
        assert_eq!(PageParams::new(None, None).expect("default").limit, 100);
        for limit in [0, 1001, -5] {
            let e = PageParams::new(Some(limit), None).expect_err("out of range");
            assert!(e.message.contains("`limit`"), "{}", e.message);
        }
    }

    #[test]
    fn the_next_link_keeps_the_filters_and_replaces_the_cursor() {
        let uri: Uri = "/api/runs?status=failed&after=old&limit=2".parse().expect("uri");
        let res = respond(Page { items: vec![1, 2], next: Some(5_i64) }, &uri);
        let next = cursor(&5_i64);
        assert_eq!(res.headers()[NEXT_CURSOR], next.as_str());
        assert_eq!(
            res.headers()[axum::http::header::LINK],
            format!("</api/runs?status=failed&limit=2&after={next}>; rel=\"next\"").as_str()
        );
        let last = respond(Page::<i32, i64> { items: vec![1], next: None }, &uri);
        assert!(last.headers().get(NEXT_CURSOR).is_none());
    }
}
