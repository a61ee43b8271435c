//! The operators behind structured condition rows (`op_eq`, `op_contains`, `op_gt`, ...):
//! loose comparisons that never fail, registered into the sandboxed engine.

use rhai::{Dynamic, Engine, Map};

/// The operators behind structured condition rows. They never fail: a missing value simply
/// compares false, so a contact without a field takes the else branch instead of failing the run.
pub(super) fn register_operators(e: &mut Engine) {
    e.register_fn("op_eq", |a: Dynamic, b: Dynamic| loose_eq(&a, &b));
    e.register_fn("op_neq", |a: Dynamic, b: Dynamic| !loose_eq(&a, &b));
    e.register_fn("op_contains", |a: Dynamic, b: Dynamic| contains(&a, &b));
    e.register_fn("op_not_contains", |a: Dynamic, b: Dynamic| !contains(&a, &b));
    e.register_fn("op_starts_with", |a: Dynamic, b: Dynamic| text_pair(&a, &b).is_some_and(|(a, b)| a.starts_with(&b)));
    e.register_fn("op_ends_with", |a: Dynamic, b: Dynamic| text_pair(&a, &b).is_some_and(|(a, b)| a.ends_with(&b)));
    e.register_fn("op_gt", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_gt()));
    e.register_fn("op_gte", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_ge()));
    e.register_fn("op_lt", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_lt()));
    e.register_fn("op_lte", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_le()));
    e.register_fn("op_is_set", |a: Dynamic| is_set(&a));
    e.register_fn("op_is_not_set", |a: Dynamic| !is_set(&a));
    e.register_fn("op_in", |a: Dynamic, list: Dynamic| contains(&list, &a));
    e.register_fn("op_not_in", |a: Dynamic, list: Dynamic| !contains(&list, &a));
}

fn as_number(d: &Dynamic) -> Option<f64> {
    if let Ok(i) = d.as_int() {
        return Some(i as f64);
    }
    if let Ok(f) = d.as_float() {
        return Some(f);
    }
    d.clone().into_immutable_string().ok().and_then(|s| s.trim().parse::<f64>().ok()).filter(|f| f.is_finite())
}

fn as_text(d: &Dynamic) -> Option<String> {
    if d.is_unit() {
        return None;
    }
    if let Ok(s) = d.clone().into_immutable_string() {
        return Some(s.to_string());
    }
    if d.is_int() || d.is_float() || d.is_bool() {
        return Some(d.to_string());
    }
    None
}

fn text_pair(a: &Dynamic, b: &Dynamic) -> Option<(String, String)> {
    Some((as_text(a)?.to_lowercase(), as_text(b)?.to_lowercase()))
}

/// Equality the way a person reading a condition row expects it: numbers by value (`"5"`
/// equals `5`), text without regard to case, missing equals nothing.
fn loose_eq(a: &Dynamic, b: &Dynamic) -> bool {
    if a.is_unit() || b.is_unit() {
        return a.is_unit() && b.is_unit();
    }
    if a.is_bool() || b.is_bool() {
        return match (a.as_bool(), b.as_bool()) {
            (Ok(x), Ok(y)) => x == y,
            _ => as_text(a).map(|s| s.to_lowercase()) == as_text(b).map(|s| s.to_lowercase()),
        };
    }
    if (a.is_int() || a.is_float()) || (b.is_int() || b.is_float()) {
        if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
            return x == y;
        }
    }
    match text_pair(a, b) {
        Some((x, y)) => x == y,
        None => a.to_string() == b.to_string(),
    }
}

fn contains(haystack: &Dynamic, needle: &Dynamic) -> bool {
    if let Some(items) = haystack.read_lock::<rhai::Array>() {
        return items.iter().any(|item| loose_eq(item, needle));
    }
    if let Some(map) = haystack.read_lock::<Map>() {
        return as_text(needle).is_some_and(|k| map.contains_key(k.as_str()));
    }
    text_pair(haystack, needle).is_some_and(|(h, n)| h.contains(&n))
}

fn compare(a: &Dynamic, b: &Dynamic) -> Option<std::cmp::Ordering> {
    if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
        return x.partial_cmp(&y);
    }
    // Text compares without regard to case, like equality does; ISO dates compare in order.
    let (x, y) = (a.clone().into_immutable_string().ok()?, b.clone().into_immutable_string().ok()?);
    Some(x.to_lowercase().cmp(&y.to_lowercase()))
}

fn is_set(a: &Dynamic) -> bool {
    if a.is_unit() {
        return false;
    }
    if let Ok(s) = a.clone().into_immutable_string() {
        return !s.trim().is_empty();
    }
    if let Some(items) = a.read_lock::<rhai::Array>() {
        return !items.is_empty();
    }
    true
}
