//! The HTTP step's effect: the call is queued in the outbox, which performs it and feeds its
//! outcome back to the waiting run.

use crate::batch::Batch;
use steps::machine::HttpRequest;
use store::records::Run;

impl Batch<'_> {
    /// Queues the HTTP call; the step always waits for its outcome.
    pub(super) fn http_call(&mut self, run: &Run, request: &HttpRequest, index: usize) {
        let step = run.step.clone().unwrap_or_default();
        let key = self.effect_key(run, &step, index);
        let payload = serde_json::to_value(request).unwrap_or(serde_json::Value::Null).to_string();
        self.queue_http(run, key, payload);
    }
}
