//! Fuzz target `event_json`: feeds arbitrary bytes, read as JSON the way `POST /api/events`
//! reads each event (`serde_path_to_error` into `runtime::Event`), then the size and NUL
//! checks every accepted event passes (`Event::check_limits`), and the NUL replacement a
//! channel delivery gets (`Event::replace_nul`).
//!
//! Asserts, beyond "never panics":
//! - an event that passes `check_limits` holds no NUL character in any text or key (which
//!   PostgreSQL could not store), and its kind, stored as JSON in the queue, reads back equal
//!   (the queue's worker parses exactly that text);
//! - after `replace_nul` no NUL is left anywhere, and the event still reads back equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use runtime::{Event, EventKind};
use serde_json::Value;
use switchboard_fuzz::has_nul;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(mut event) = serde_path_to_error::deserialize::<_, Event>(&body) else { return };
    if event.check_limits().is_ok() {
        assert!(!has_nul_event(&event), "an accepted event holds a NUL: {body}");
        assert_reads_back(&event);
    }
    event.replace_nul();
    assert!(!has_nul_event(&event), "a NUL survived replace_nul: {body}");
    assert_reads_back(&event);
});

/// The queue stores the kind as JSON text and its worker parses it back: it must be the same.
fn assert_reads_back(event: &Event) {
    let stored = serde_json::to_string(&event.kind).expect("an event kind serialises");
    let read: EventKind =
        serde_json::from_str(&stored).unwrap_or_else(|e| panic!("stored {stored} is unreadable: {e}"));
    assert_eq!(read, event.kind, "stored as {stored}");
}

fn has_nul_event(event: &Event) -> bool {
    let kind = serde_json::to_value(&event.kind).expect("an event kind serialises");
    event.source.contains('\0') || event.id.as_deref().is_some_and(|id| id.contains('\0')) || has_nul(&kind)
}
