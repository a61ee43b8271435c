//! Fuzz target `webhook_whatsapp`: feeds arbitrary bytes as one delivery to a WhatsApp Cloud API
//! connection's webhook: the adapter's signature check (`verify`) and payload parser
//! (`parse`) in `engine/channels/src/whatsapp.rs`, then the engine events made from it.
//!
//! Asserts what `switchboard_fuzz::check_webhook` lists: a correct signature is accepted
//! and a forged one refused, and every event parsed from the body holds no NUL once the
//! queue's replacement ran and reads back equal from the JSON the queue stores.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| switchboard_fuzz::check_webhook(channels::Kind::Whatsapp, data));
