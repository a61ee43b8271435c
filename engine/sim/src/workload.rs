//! What happens next, drawn from the seed: contacts writing, answering, pressing buttons,
//! going silent (the clock moves on) and opting out; agents going online and offline,
//! replying, closing conversations and pressing shortcuts; operators publishing, rolling
//! back, stopping and starting workflows and retrying failed runs; the engine's own work
//! (queue, outbox, timers, schedules, leases); and the process being killed.

use crate::flows::CHATTER;

/// One thing that happens.
#[derive(Debug, Clone)]
pub enum Action {
    /// With several engines: the acting engine claims outbox rows and stops before performing
    /// them (a long pause); its lease runs out, another engine reaps and performs them; then
    /// the paused one goes on and must not record over the other's outcome.
    PauseOutbox {
        limit: i64,
    },
    /// Contacts' messages arrive in one delivery (several contacts, maybe redelivered).
    Deliver(Vec<Inbound>),
    /// A delivery the channel sends again (same ids).
    Redeliver,
    /// A channel reports a sent message's status (maybe twice, maybe out of order).
    Status {
        pick: usize,
        status: &'static str,
    },
    AgentReplies {
        contact: usize,
        agent: usize,
    },
    Close {
        contact: usize,
        by_agent: bool,
    },
    OptOutEvent {
        contact: usize,
    },
    Unfollow {
        contact: usize,
    },
    Shortcut {
        contact: usize,
        agent: usize,
        urgent: bool,
    },
    ManualStart {
        contact: usize,
        flow: usize,
    },
    AgentOnline {
        agent: usize,
        online: bool,
    },
    Publish {
        flow: usize,
    },
    Rollback {
        flow: usize,
    },
    StopWorkflow {
        flow: usize,
        eject: bool,
    },
    StartWorkflow {
        flow: usize,
    },
    RetryFailedRun {
        pick: usize,
    },
    ProcessQueue {
        limit: i64,
    },
    ProcessOutbox {
        limit: i64,
    },
    FireTimers,
    FireSchedules,
    ReapLeases,
    /// The clock moves on by this many milliseconds.
    Advance {
        ms: i64,
    },
    /// The clock moves to the engine's next due time (a timer or a retry), as the loops sleep.
    AdvanceToNextDue,
    /// `kill -9`: everything in memory is gone; the store stays.
    Kill,
}

/// A contact's message.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub contact: usize,
    pub text: String,
    /// A pressed button's payload.
    pub payload: Option<String>,
}

/// Draws the next action. `contacts`, `agents`, `flows`: how many of each exist.
/// With several engines: which one takes the next action, and whether that action is a pause
/// of that engine past its outbox lease (drawn before the action, and only with several
/// engines, so one engine's seeds keep their stream).
pub fn draw_engine(rng: &mut fastrand::Rng, engines: usize) -> (usize, bool) {
    (rng.usize(..engines), rng.u32(..1000) < 60)
}

pub fn draw(rng: &mut fastrand::Rng, contacts: usize, agents: usize, flows: usize, keywords: &[String]) -> Action {
    let contact = rng.usize(..contacts);
    let agent = rng.usize(..agents);
    let flow = rng.usize(..flows);
    match rng.u32(..1000) {
        0..=239 => {
            let n = 1 + usize::from(rng.u8(..10) == 0) * rng.usize(1..4);
            Action::Deliver((0..n).map(|_| inbound(rng, contacts, keywords)).collect())
        }
        240..=269 => Action::Redeliver,
        270..=289 => {
            Action::Status { pick: rng.usize(..1000), status: ["delivered", "read", "failed"][rng.usize(..3)] }
        }
        290..=314 => Action::AgentReplies { contact, agent },
        315..=349 => Action::Close { contact, by_agent: rng.bool() },
        350..=359 => Action::OptOutEvent { contact },
        360..=364 => Action::Unfollow { contact },
        365..=389 => Action::Shortcut { contact, agent, urgent: rng.bool() },
        390..=419 => Action::ManualStart { contact, flow },
        420..=449 => Action::AgentOnline { agent, online: rng.u8(..3) > 0 },
        450..=469 => Action::Publish { flow },
        470..=479 => Action::Rollback { flow },
        480..=486 => Action::StopWorkflow { flow, eject: rng.bool() },
        487..=496 => Action::StartWorkflow { flow },
        497..=509 => Action::RetryFailedRun { pick: rng.usize(..1000) },
        510..=629 => Action::ProcessQueue { limit: [1, 3, 50][rng.usize(..3)] },
        630..=749 => Action::ProcessOutbox { limit: [1, 4, 100][rng.usize(..3)] },
        750..=809 => Action::FireTimers,
        810..=819 => Action::FireSchedules,
        820..=834 => Action::ReapLeases,
        835..=919 => {
            Action::Advance { ms: [rng.i64(0..2_000), rng.i64(0..300_000), rng.i64(0..14_400_000)][rng.usize(..3)] }
        }
        920..=989 => Action::AdvanceToNextDue,
        _ => Action::Kill,
    }
}

fn inbound(rng: &mut fastrand::Rng, contacts: usize, keywords: &[String]) -> Inbound {
    let contact = rng.usize(..contacts);
    let roll = rng.u8(..20);
    let (text, payload) = match roll {
        // Starting one of the generated flows.
        0..=4 if !keywords.is_empty() => (keywords[rng.usize(..keywords.len())].clone(), None),
        5 => ("STOP".to_owned(), None),
        6 => ("START".to_owned(), None),
        // A pressed button (choice questions' option ids).
        7 | 8 => {
            let id = ["yes", "no", "en", "es", "sales", "support", "5", "1"][rng.usize(..8)];
            (format!("Button {id}"), Some(id.to_owned()))
        }
        // Free text, sometimes an email or a number.
        9 => (format!("my order is {}", rng.u32(1000..9999)), None),
        _ => (CHATTER[rng.usize(..CHATTER.len())].to_owned(), None),
    };
    Inbound { contact, text, payload }
}
