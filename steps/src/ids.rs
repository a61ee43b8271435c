//! The spelling of ids: step ids (also option ports, branch names, HTTP outputs and form
//! fields, since all of them are read back as `steps.<id>.<name>`) and workflow ids. Shared
//! by the compiler, the step kinds and the trigger checks, so none of them imports another.

use crate::vars;

/// A step id: a lowercase identifier of at most 64 characters, so it can be written as
/// `steps.<id>.answer` in expressions.
pub fn is_valid_id(id: &str) -> bool {
    id.len() <= 64 && vars::is_identifier(id)
}

/// A workflow id: lowercase letters, digits, `-` and `_`, starting with a letter or digit.
pub fn is_valid_workflow_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
