//! The compiler's own unit tests: the editor's `step_ports`, step id hints, orphaned loops
//! and where secrets may be read. The file-based cases are in `steps/tests/broken/`.

#[test]
fn step_ports_follow_the_config_of_one_step() {
    let choice = serde_json::json!({"kind": "ask", "type": "choice", "text": "?", "options": [{"label": "Sales"}, {"label": "Support"}], "next": {"sales": "x"}});
    let names: Vec<String> =
        crate::compile::step_ports(&choice).unwrap_or_default().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["sales", "support", "invalid", "failure"]);
    let branch = serde_json::json!({"kind": "branch", "branches": [{"name": "vip", "when": {"field": "contact.tags", "op": "contains", "value": "vip"}}]});
    let names: Vec<String> =
        crate::compile::step_ports(&branch).unwrap_or_default().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["vip", "else"]);
    assert_eq!(crate::compile::step_ports(&serde_json::json!({"kind": "teleport"})), None);
    assert_eq!(crate::compile::step_ports(&serde_json::json!({"kind": "wait", "duration": ["x"]})), None);
}

#[test]
fn a_reserved_step_id_names_the_reserved_words_and_a_free_id() {
    let flow = |ids: &[&str]| {
        let mut text =
            format!("schema: 1\nid: r\nname: R\ntrigger: {{ type: message_received }}\nstart: {}\nsteps:\n", ids[0]);
        for id in ids {
            text.push_str(&format!("  {id}:\n    kind: send_message\n    text: Hi\n"));
        }
        crate::compile(&text)
    };
    let help = |ids: &[&str]| {
        let result = flow(ids);
        let d = result.diagnostics.iter().find(|d| d.code == crate::Code::InvalidId).expect("E0105");
        (d.message.clone(), d.help.clone().unwrap_or_default())
    };
    let (message, hint) = help(&["call"]);
    assert_eq!(message, "step id `call` is a reserved word in expressions; choose another name");
    assert_eq!(
        hint,
        "the expression language reserves `call` and other words (`default`, `eval`, `exit`, `import`, \
         `match`, `new`, `print`, `return`, `switch`, `type_of`, and keywords such as `if`, `let`, `fn`, \
         `true`); rename it, for example to `call_step`"
    );
    // The suggestion is free: not another step's id.
    let (_, hint) = help(&["call", "call_step"]);
    assert!(hint.ends_with("for example to `call_step_2`"), "{hint}");
    // A reserved word outside the short list is named first.
    let (_, hint) = help(&["while"]);
    assert!(hint.contains("reserves `while` and other words (`call`, `default`"), "{hint}");
    // Other bad ids get the allowed characters and a cleaned-up name.
    let (_, hint) = help(&["Hello-World"]);
    assert_eq!(hint, "use a-z, 0-9 and _, starting with a letter, at most 64 characters; for example `hello_world`");
    let (_, hint) = help(&["2nd try"]);
    assert!(hint.ends_with("for example `step_2nd_try`"), "{hint}");
    let long = "a".repeat(65);
    let (message, _) = help(&[long.as_str()]);
    assert!(message.ends_with("is longer than 64 characters"), "{message}");
}

#[test]
fn a_loop_nothing_enters_is_reported_once_not_per_orphaned_step() {
    let text = "schema: 1\nid: l\nname: L\ntrigger: { type: message_received }\nstart: hello\nsteps:\n  \
                hello:\n    kind: send_message\n    text: Hi\n  \
                a:\n    kind: send_message\n    text: A\n    next: { next: b }\n  \
                b:\n    kind: send_message\n    text: B\n    next: { next: a_after }\n  \
                a_after:\n    kind: send_message\n    text: C\n    next: { next: a }\n  \
                tail:\n    kind: send_message\n    text: D\n  \
                lonely:\n    kind: send_message\n    text: E\n";
    let result = crate::compile(text);
    let found: Vec<(&str, &str)> = result.diagnostics.iter().map(|d| (d.code.as_str(), d.message.as_str())).collect();
    assert_eq!(
        found,
        [
            (
                "E0304",
                "steps `a`, `b`, `a_after` form a loop with no limit, and no path from `start` leads into it, \
                 so they can never run"
            ),
            ("E0303", "step `tail` can never run: no path from `start` leads to it"),
            ("E0303", "step `lonely` can never run: no path from `start` leads to it"),
        ]
    );
    // A step that only the orphaned loop leads to is orphaned by it too.
    let fed = text.replace(
        "b:\n    kind: send_message\n    text: B\n    next: { next: a_after }",
        "b:\n    kind: branch\n    branches: [{ name: vip, when: { field: contact.tags, op: contains, value: vip } }]\n    \
         next: { vip: a_after, else: tail }",
    );
    assert_ne!(fed, text);
    let codes: Vec<(&str, String)> = crate::compile(&fed)
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.message.chars().take(20).collect()))
        .collect();
    assert_eq!(codes, [("E0304", "steps `a`, `b`, `a_a".to_owned()), ("E0303", "step `lonely` can ne".to_owned())]);
}

#[test]
fn secrets_are_read_only_by_http_steps_as_plain_holes() {
    let flow = |text: &str, header: &str| {
        format!(
            "schema: 1\nid: s\nname: S\ntrigger: {{ type: message_received }}\nstart: hello\nsteps:\n  hello:\n    \
             kind: send_message\n    text: '{text}'\n    next: lookup\n  lookup:\n    kind: http\n    \
             url: 'https://crm.example.com/x'\n    headers: {{ Authorization: '{header}' }}\n    \
             next: {{ failure: done }}\n  done:\n    kind: send_message\n    text: Done\n"
        )
    };
    let ok = crate::compile(&flow("Hi", "Bearer {{ secrets.crm_key }}"));
    assert!(ok.workflow.is_some(), "{:?}", ok.diagnostics);
    let leaked = crate::compile(&flow("Key: {{ secrets.crm_key }}", "Bearer {{ secrets.crm_key }}"));
    let messages: Vec<&str> = leaked.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages, [crate::vars::SECRETS_ONLY_IN_HTTP], "a secret in a message would reach the contact");
}
