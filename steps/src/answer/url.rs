//! Web addresses: http or https with a dotted host, normalised; `https://` assumed when the
//! contact typed none.

use super::{non_empty_answer, Invalid};
use crate::message::InboundMessage;
use ::url::{Host, Url};

/// True when the host has at least two non-empty dot-separated labels ("example.com").
fn dotted(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.contains('.') && host.split('.').all(|label| !label.is_empty())
}

/// True when the text starts with its own scheme ("https://...", "mailto:...") rather than a
/// host with a port ("example.com:8080"), which gets "https://" put in front instead.
fn has_scheme(text: &str) -> bool {
    if text.contains("://") {
        return true;
    }
    match text.split_once(':') {
        Some((scheme, rest)) => {
            !scheme.is_empty()
                && scheme.chars().all(|c| c.is_ascii_alphabetic())
                && !rest.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// An http or https URL whose host contains a dot, normalized by the `url` crate (so
/// "https://Example.com" becomes "https://example.com/"). Text without a scheme
/// ("example.com/x") is read as https.
///
/// Text with whitespace inside is refused, because the `url` crate would percent-encode it
/// into a URL the contact did not type. Without a scheme, the host must be a domain name (not
/// an IP address, so "3.5" is no URL) and no user part is allowed (so an email address typed
/// by mistake is no URL).
pub fn parse_url(msg: &InboundMessage) -> Result<String, Invalid> {
    let text = non_empty_answer(msg)?;
    if text.chars().any(char::is_whitespace) {
        return Err(Invalid::NotAUrl);
    }

    let explicit = has_scheme(text);
    let url = if explicit { Url::parse(text) } else { Url::parse(&format!("https://{text}")) }
        .map_err(|_| Invalid::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Invalid::NotAUrl);
    }
    let host_ok = match url.host() {
        Some(Host::Domain(domain)) => dotted(domain),
        Some(Host::Ipv4(_)) => explicit,
        Some(Host::Ipv6(_)) | None => false,
    };
    let userinfo = !url.username().is_empty() || url.password().is_some();
    if !host_ok || (!explicit && userinfo) {
        return Err(Invalid::NotAUrl);
    }
    Ok(url.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn url_cases() {
        let check = |input: &str, expected: Result<&str, Invalid>| {
            assert_eq!(parse_url(&text(input)), expected.map(str::to_owned), "{input:?}");
        };
        check("https://example.com", Ok("https://example.com/"));
        check("http://Example.com/Path?q=1", Ok("http://example.com/Path?q=1"));
        check("example.com/x", Ok("https://example.com/x"));
        check("www.example.org", Ok("https://www.example.org/"));
        check("example.com:8080/x", Ok("https://example.com:8080/x"));
        check("http://192.168.1.10/status", Ok("http://192.168.1.10/status"));
        check("http://localhost", Err(Invalid::NotAUrl));
        check("http://localhost:3000", Err(Invalid::NotAUrl));
        check("localhost:3000", Err(Invalid::NotAUrl));
        check("ftp://example.com/file", Err(Invalid::NotAUrl));
        check("mailto:ann@example.com", Err(Invalid::NotAUrl));
        check("javascript:alert(1)", Err(Invalid::NotAUrl));
        check("ann@example.com", Err(Invalid::NotAUrl));
        check("3.5", Err(Invalid::NotAUrl));
        check("hello", Err(Invalid::NotAUrl));
        check("see example.com", Err(Invalid::NotAUrl));
        check("https://example.com/a b", Err(Invalid::NotAUrl));
        check("https://", Err(Invalid::NotAUrl));
        check("", Err(Invalid::Empty));
    }
}
