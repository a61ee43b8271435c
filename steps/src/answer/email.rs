//! Email addresses: syntactically valid, with a dotted domain that is lowercased.

use super::{non_empty_answer, Invalid};
use crate::message::InboundMessage;
use email_address::{EmailAddress, Options};

/// A trimmed email address with its domain lowercased; the local part keeps its case
/// because mail servers may treat it as significant. The domain must contain a dot.
pub fn parse_email(msg: &InboundMessage) -> Result<String, Invalid> {
    let text = non_empty_answer(msg)?;
    // Display names ("Ann <ann@x.org>") and IP literals are not what a contact types as
    // their address, so both are refused rather than half-accepted.
    let options = Options::default().with_required_tld().without_domain_literal().without_display_text();
    EmailAddress::parse_with_options(text, options).map_err(|_| Invalid::NotAnEmail)?;
    let (local, domain) = text.rsplit_once('@').ok_or(Invalid::NotAnEmail)?;
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(Invalid::NotAnEmail);
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn email_cases() {
        let check = |input: &str, expected: Result<&str, Invalid>| {
            assert_eq!(parse_email(&text(input)), expected.map(str::to_owned), "{input:?}");
        };
        check("ann@example.com", Ok("ann@example.com"));
        check("  Ann.Lee@Example.COM ", Ok("Ann.Lee@example.com"));
        check("first+tag@mail.example.co.uk", Ok("first+tag@mail.example.co.uk"));
        check("a@b", Err(Invalid::NotAnEmail));
        check("ann", Err(Invalid::NotAnEmail));
        check("ann@", Err(Invalid::NotAnEmail));
        check("@example.com", Err(Invalid::NotAnEmail));
        check("ann @example.com", Err(Invalid::NotAnEmail));
        check("ann@exa mple.com", Err(Invalid::NotAnEmail));
        check("Ann <ann@example.com>", Err(Invalid::NotAnEmail));
        check("ann@[127.0.0.1]", Err(Invalid::NotAnEmail));
        check("ann@@example.com", Err(Invalid::NotAnEmail));
        check("", Err(Invalid::Empty));
    }
}
