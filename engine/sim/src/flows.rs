//! The workflows a simulation runs: the five reference workflows as shipped, and flows
//! generated from the seed (chains of sends, questions, waits, HTTP calls, tag and field
//! updates, branches, assignments and a close), each published in several versions.

/// The reference workflows (`workflows/`), by id.
pub const REFERENCE: &[(&str, &str)] = &[
    ("away-message", include_str!("../../../workflows/away-message.yaml")),
    ("csat", include_str!("../../../workflows/csat.yaml")),
    ("escalation-shortcut", include_str!("../../../workflows/escalation-shortcut.yaml")),
    ("faq-menu", include_str!("../../../workflows/faq-menu.yaml")),
    ("pre-chat-routing", include_str!("../../../workflows/pre-chat-routing.yaml")),
];

/// Keywords the reference workflows and the contacts' chatter use.
pub const CHATTER: &[&str] =
    &["menu", "help", "hi", "1", "2", "3", "yes", "no", "5", "4", "en", "es", "billing", "thanks"];

/// How a generated workflow starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A message that is exactly its keyword.
    Keyword(String),
    /// The manual trigger (an API call or a bulk start).
    Manual,
}

/// A generated workflow: its id, how it starts, and its source.
#[derive(Debug, Clone)]
pub struct Generated {
    pub id: String,
    pub start: Start,
    pub source: String,
}

/// Generates version `version` of workflow `id` from the seed's generator: 2–7 steps in a
/// chain (each step's every port goes on to the next one), maybe ending with a close.
pub fn generate(rng: &mut fastrand::Rng, id: &str, start: &Start, version: u32) -> Generated {
    let count = rng.usize(2..=7);
    let names: Vec<String> = (0..count).map(|i| format!("v{version}_s{i}")).collect();
    let mut steps = String::new();
    for (i, name) in names.iter().enumerate() {
        let next = names.get(i + 1);
        let last = next.is_none();
        steps.push_str(&format!("  {name}:\n"));
        steps.push_str(&step(rng, name, next.map(String::as_str), last));
    }
    let trigger = match start {
        Start::Keyword(word) => format!("{{ type: message_received, keywords: [{word}] }}"),
        Start::Manual => "{ type: manual }".to_owned(),
    };
    let when_active = if rng.bool() { "drop" } else { "queue" };
    let exit = if rng.u8(..4) == 0 { "\n  exit_when: [conversation_closed, agent_replied]" } else { "" };
    let source = format!(
        "schema: 1\nid: {id}\nname: Generated {id}\ntrigger: {trigger}\nsettings:\n  when_active: {when_active}{exit}\nstart: {}\nsteps:\n{steps}",
        names[0]
    );
    Generated { id: id.to_owned(), start: start.clone(), source }
}

/// One step's YAML (indented under its id), every port leading to `next`.
fn step(rng: &mut fastrand::Rng, name: &str, next: Option<&str>, last: bool) -> String {
    let go = |ports: &[&str]| match next {
        Some(n) => {
            format!("    next: {{ {} }}\n", ports.iter().map(|p| format!("{p}: {n}")).collect::<Vec<_>>().join(", "))
        }
        None => String::new(),
    };
    // The last step has nowhere to go: it says goodbye or closes the conversation (an HTTP
    // call or a question must say where their failure leads).
    if last {
        return match rng.bool() {
            true => "    kind: close_conversation\n    category: resolved\n".to_owned(),
            false => format!("    kind: send_message\n    text: 'Bye from {name}'\n"),
        };
    }
    match rng.u8(..11) {
        0 | 1 => format!("    kind: send_message\n    text: 'Step {name} for {{{{contact.first_name}}}}'\n{}", go(&["next"])),
        2 => format!(
            "    kind: ask\n    type: text\n    text: 'What about {name}?'\n    timeout: {}\n{}",
            pick(rng, &["2m", "10m", "1h"]),
            go(&["answered", "invalid", "timeout", "failure"])
        ),
        3 => format!(
            "    kind: ask\n    type: choice\n    text: 'Yes or no ({name})?'\n    options:\n      - {{ id: yes, label: 'Yes' }}\n      - {{ id: no, label: 'No' }}\n    timeout: 15m\n{}",
            go(&["yes", "no", "invalid", "timeout", "failure"])
        ),
        4 => format!("    kind: wait\n    for: {}\n{}", pick(rng, &["1s", "30s", "5m", "2h", "1d"]), go(&["done"])),
        5 => format!(
            "    kind: http\n    method: POST\n    url: 'https://lookup.example/contacts/{{{{contact.id}}}}'\n    json: {{ step: {name} }}\n    timeout: 5s\n    save: {{ tier: $.tier }}\n{}",
            go(&["success", "failure"])
        ),
        6 => format!("    kind: update_tags\n    add: [{name}]\n{}", go(&["next"])),
        7 => format!("    kind: update_fields\n    set: {{ language: {} }}\n{}", pick(rng, &["en", "es", "de"]), go(&["next"])),
        8 => format!(
            "    kind: branch\n    branches:\n      - name: english\n        when: {{ field: contact.language, op: eq, value: en }}\n{}",
            go(&["english", "else"])
        ),
        9 => format!(
            "    kind: assign\n    team: sales\n    strategy: {}\n    online_only: true\n    timeout: 10m\n{}",
            pick(rng, &["round_robin", "fewest_open"]),
            go(&["assigned", "timeout"])
        ),
        _ => format!("    kind: add_comment\n    text: 'Note from {name}'\n{}", go(&["next"])),
    }
}

fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
    from[rng.usize(..from.len())]
}
