//! A `switchboard serve` child process on a free port of 127.0.0.1, as an operator runs it:
//! its workflows folder, the webhook channel and HTTP steps pointed at a receiver on
//! 127.0.0.1, an admin token and a secret key from the environment, stderr appended to
//! `server.log` in its folder. Shared by the chaos test (`tests/chaos.rs`, through `common`)
//! and the soak (`benches/soak.rs`, by path).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Serves `app` on a free port of 127.0.0.1 in the background (a mock endpoint, a channel
/// receiver); returns its base URL, `http://127.0.0.1:<port>`.
pub async fn serve_on_loopback(app: axum::Router) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

/// How to start one `switchboard serve`.
pub struct ServeConfig<'a> {
    /// The `switchboard` binary.
    pub binary: &'a Path,
    /// The process's working folder: `workflows/` is read from it, `server.log` written to it.
    pub dir: &'a Path,
    /// `--db`.
    pub db: &'a str,
    /// The receiver's base URL: the webhook channel posts to `{receiver}/channel`.
    pub receiver: &'a str,
    /// `SWITCHBOARD_ADMIN_TOKEN`.
    pub admin_token: &'a str,
    /// The byte `SWITCHBOARD_SECRET_KEY` is made of (32 of it, base64).
    pub secret_key_byte: u8,
    /// More environment: set (`Some`) or removed (`None`).
    pub env: Vec<(&'a str, Option<&'a str>)>,
}

/// The running process.
pub struct ServeProcess {
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Where its stderr goes.
    pub log: PathBuf,
}

impl ServeProcess {
    pub fn start(config: &ServeConfig) -> std::io::Result<ServeProcess> {
        use base64::Engine as _;
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr())?.port();
        let log_path = config.dir.join("server.log");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path)?;
        let mut command = Command::new(config.binary);
        command
            .current_dir(config.dir)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db", config.db, "--workflows"])
            .arg(config.dir.join("workflows"))
            .args(["--webhook-url", &format!("{}/channel", config.receiver), "--http-allow", "127.0.0.1/32"])
            .env("SWITCHBOARD_ADMIN_TOKEN", config.admin_token)
            .env(
                "SWITCHBOARD_SECRET_KEY",
                base64::engine::general_purpose::STANDARD.encode([config.secret_key_byte; 32]),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log);
        for (name, value) in &config.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let child = command.spawn()?;
        Ok(ServeProcess { child, base: format!("http://127.0.0.1:{port}"), log: log_path })
    }

    /// Waits until the server answers `/healthz` (it has migrated, published and listens),
    /// polling every 50 ms; an error if it exits first or `limit` passes. Not `/readyz`: after
    /// a crash that may rightly say "not ready" while the backlog drains.
    pub async fn wait_up(&mut self, http: &reqwest::Client, limit: Duration) -> Result<(), String> {
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server exited while starting ({status}); see {}", self.log.display()));
            }
            if http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("the server did not answer {url} within {limit:?}; see {}", self.log.display()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Has the process exited by itself?
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Lines of the log containing `needle`.
    pub fn log_lines_with(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().filter(|l| l.contains(needle)).count()
    }
}
