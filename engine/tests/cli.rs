//! The `switchboard` command as a user runs it: `validate` on the reference workflows and on
//! broken files, `schema` for the file format, each kind and each trigger type; logs without
//! colour in a pipe.

use std::process::Command;

fn switchboard() -> Command {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
}

fn repo(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

fn reference_workflows() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo("workflows"))
        .expect("workflows/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    files
}

#[test]
fn every_reference_workflow_validates() {
    let files = reference_workflows();
    let names: Vec<String> = files.iter().map(|f| f.rsplit('/').next().unwrap_or_default().to_owned()).collect();
    for expected in
        ["faq-menu.yaml", "pre-chat-routing.yaml", "csat.yaml", "escalation-shortcut.yaml", "away-message.yaml"]
    {
        assert!(names.iter().any(|n| n == expected), "missing reference workflow {expected}");
    }
    let out = switchboard().arg("validate").args(&files).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    // One warning, on purpose: the CSAT question follows a closed conversation, which may be
    // a day after the contact last wrote (WhatsApp would need a template then).
    assert!(stdout.ends_with(&format!("{} files: 0 errors, 1 warning\n", files.len())), "{stdout}");
    assert!(stdout.contains("workflows/csat.yaml:16:3: warning[W0500]"), "{stdout}");
}

#[test]
fn broken_files_print_rustc_style_diagnostics_and_exit_1() {
    let file = repo("steps/tests/broken/e0200-unknown-step-kind.yaml");
    let out = switchboard().args(["validate", &file]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!(
        "{file}:9:11: error[E0200]: unknown step kind `sendd_message`\n  |\n9 |     kind: sendd_message\n  |           ^\n  = help: did you mean `send_message`?\n"
    );
    assert!(stdout.starts_with(&expected), "{stdout}");
    assert!(stdout.ends_with("1 file: 1 error, 0 warnings\n"), "{stdout}");
}

#[test]
fn good_and_bad_files_together_still_fail() {
    let mut files = reference_workflows();
    files.push(repo("steps/tests/broken/many-problems.yaml"));
    let out = switchboard().arg("validate").args(&files).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches(": error[").count(), 7, "{stdout}");
}

#[test]
fn missing_and_non_utf8_files_are_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("switchboard-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let binary = dir.join("binary.yaml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).expect("write");
    let out = switchboard()
        .args(["validate", &binary.display().to_string(), "/nonexistent/flow.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("not UTF-8"), "{stdout}");
    assert!(stdout.contains("cannot read the file"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn schema_prints_the_file_format_and_each_kind() {
    let out = switchboard().arg("schema").output().expect("runs");
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(schema["title"], "Switchboard workflow");
    assert_eq!(schema["properties"]["steps"]["additionalProperties"]["oneOf"].as_array().map(Vec::len), Some(15));

    let out = switchboard().args(["schema", "--kind", "ask"]).output().expect("runs");
    let ask: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(ask["properties"]["kind"]["const"], "ask");
    assert!(ask["required"].as_array().is_some_and(|r| r.contains(&"text".into())));

    let out = switchboard().args(["schema", "--kind", "nope"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown step kind `nope`"));
}

#[test]
fn schema_prints_each_trigger_type_and_lists_them() {
    let out = switchboard().args(["schema", "--trigger", "message_received"]).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(schema["properties"]["type"]["const"], "message_received");
    assert!(schema["properties"]["keywords"].is_object(), "{schema}");
    assert!(schema["properties"]["conditions"].is_object(), "{schema}");
    // Every `$ref` resolves inside the printed document.
    let text = schema.to_string();
    for part in text.split("\"#/$defs/").skip(1) {
        let name = part.split('"').next().unwrap_or_default();
        assert!(schema["$defs"][name].is_object(), "`{name}` is referred to but not defined");
    }

    let out = switchboard().args(["schema", "--trigger", "list"]).output().expect("runs");
    assert!(out.status.success());
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let types: Vec<&str> = list.as_array().expect("list").iter().filter_map(|t| t["type"].as_str()).collect();
    assert!(types.contains(&"shortcut") && types.contains(&"schedule") && types.len() == 9, "{types:?}");

    let out = switchboard().args(["schema", "--trigger", "nope"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown trigger type `nope`; types: message_received,"), "{stderr}");
    assert!(stderr.contains("schedule"), "{stderr}");

    let out = switchboard().args(["schema", "--trigger", "manual", "--kind", "ask"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "one schema at a time");
}

/// Logs written to a pipe or a file carry no colour codes: `serve` logs what it publishes,
/// then fails to listen on an address the test holds, so it ends by itself.
#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let dir = std::env::temp_dir().join(format!("switchboard-cli-ansi-{}", std::process::id()));
    let workflows = dir.join("workflows");
    std::fs::create_dir_all(&workflows).expect("temp dir");
    std::fs::copy(repo("workflows/csat.yaml"), workflows.join("csat.yaml")).expect("copy a workflow");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let out = switchboard()
        .current_dir(&dir)
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .args(["serve", "--listen", &taken.local_addr().expect("addr").to_string()])
        .args(["--db", &dir.join("sb.db").display().to_string()])
        .args(["--workflows", &workflows.display().to_string()])
        .args(["--admin-token", "sb_cli_test_admin_token_0123456789"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run switchboard");
    drop(taken);
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "serve cannot listen on a taken address: {stderr}");
    assert!(stderr.contains("published"), "the log says what was published: {stderr}");
    assert!(!stderr.contains("\x1b["), "no colour codes in piped logs: {stderr:?}");
}

/// Fault injection for the chaos test (issue 16): `SWITCHBOARD_CHAOS_PANIC=queue` makes the
/// queue loop of a real `switchboard run` panic once; the log says so, the supervisor starts
/// it again and the process keeps running. A malformed value stops the start with an error.
#[test]
fn chaos_panic_makes_a_loop_panic_once_and_it_is_restarted() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("switchboard-cli-chaos-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("workflows")).expect("temp dir");
    let db = dir.join("sb.db").display().to_string();
    let out = switchboard()
        .args(["run", "--db", &db, "--workflows", &dir.join("workflows").display().to_string()])
        .env("SWITCHBOARD_CHAOS_PANIC", "queue@soon")
        .output()
        .expect("run switchboard");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("SWITCHBOARD_CHAOS_PANIC: `soon` is not a delay like `500ms` or `5s`"), "{stderr}");

    let mut child = switchboard()
        .args(["run", "--db", &db, "--workflows", &dir.join("workflows").display().to_string()])
        .env("SWITCHBOARD_CHAOS_PANIC", "queue@200ms")
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run switchboard");
    let (lines, seen) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let restarted = loop {
        match seen.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) if line.contains("a background loop stopped") => {
                log.push(line);
                break true;
            }
            Ok(line) => log.push(line),
            Err(_) => break false,
        }
    };
    let alive = child.try_wait().expect("status").is_none();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let log = log.join("\n");
    assert!(restarted, "the supervisor logged the loop's failure: {log}");
    assert!(log.contains("SWITCHBOARD_CHAOS_PANIC is set: fault injection"), "{log}");
    assert!(log.contains("loop_name=queue"), "{log}");
    assert!(log.contains("injected panic in the queue loop (fault injection)"), "{log}");
    assert!(alive, "the process runs on: {log}");
}
