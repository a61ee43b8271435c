//! Builds the editor (`editor/`, a Vite app) into `editor/dist`, which the server embeds and
//! serves at `/`, so `cargo run -p switchboard -- serve` brings the editor up with no extra
//! step. Runs `npm ci` when `node_modules` is missing, then `npm run build`. Without npm, or
//! with `SWITCHBOARD_SKIP_EDITOR_BUILD=1`, it only warns: the server then answers `/` with a
//! page saying how to build the editor.

use std::path::Path;
use std::process::Command;

fn main() {
    let editor = Path::new("../../editor");
    for watched in ["src", "index.html", "package.json", "package-lock.json", "vite.config.ts"] {
        println!("cargo:rerun-if-changed=../../editor/{watched}");
    }
    println!("cargo:rerun-if-env-changed=SWITCHBOARD_SKIP_EDITOR_BUILD");
    if std::env::var_os("SWITCHBOARD_SKIP_EDITOR_BUILD").is_some_and(|v| v != "0") {
        return;
    }
    if !editor.join("package.json").exists() {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if !editor.join("node_modules").exists()
        && !run(Command::new(npm).arg("ci").arg("--no-audit").arg("--no-fund").current_dir(editor))
    {
        return;
    }
    run(Command::new(npm).args(["run", "build"]).current_dir(editor));
}

/// Runs a command; on failure, warns (the build goes on without a fresh editor).
fn run(command: &mut Command) -> bool {
    match command.output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            for line in stderr.lines().rev().take(10).collect::<Vec<_>>().into_iter().rev() {
                println!("cargo:warning=editor build: {line}");
            }
            println!("cargo:warning=the editor was not built ({:?} failed)", command);
            false
        }
        Err(e) => {
            println!("cargo:warning=the editor was not built: cannot run {:?}: {e} (install Node.js and npm)", command);
            false
        }
    }
}
