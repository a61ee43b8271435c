//! The `switchboard` command.

use anyhow::Result;

// mimalloc: the engine allocates many short-lived JSON values per step; measured 25-30% more
// step transitions per second than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use switchboard::config::Kept;

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Visual workflow automation for customer-messaging teams")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check workflow files; prints every problem as `file:line:col: error[CODE]: message`
    /// and exits 1 if any file has an error.
    Validate {
        /// Workflow files (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the engine and the HTTP API: publish the workflows in `--workflows`, then serve
    /// until interrupted. Prints a first admin token on first start.
    Serve(ServeArgs),
    /// Run the engine headless (no HTTP): process events, timers and the outbox.
    Run(RunArgs),
    /// Print the JSON Schema of the workflow file format; with `--kind K`, of one step
    /// kind's config; with `--kind kinds`, the catalogue of every kind (ports, outputs);
    /// with `--trigger T`, of one trigger type's block; with `--trigger list`, every type.
    Schema {
        #[arg(long, conflicts_with = "trigger")]
        kind: Option<String>,
        #[arg(long)]
        trigger: Option<String>,
    },
    /// Print the OpenAPI 3.1 document of the HTTP API (also served at /api/openapi.json).
    Openapi,
}

/// Options of `switchboard serve`. Each also comes from an environment variable or the
/// config file (see `switchboard::config`); flags win, then the environment, then the file.
// No `Debug`: these hold the admin token, the secret keys and the database URL as given.
#[derive(clap::Args)]
struct ServeArgs {
    /// Where to listen [default: 127.0.0.1:8080].
    #[arg(long, env = "SWITCHBOARD_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// An admin token to accept (instead of generating one on first start).
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    #[command(flatten)]
    run: RunArgs,
}

/// Options of `switchboard run` (and of `serve`).
#[derive(clap::Args)]
struct RunArgs {
    /// A YAML config file [default: switchboard.yaml, when it exists].
    #[arg(long, env = "SWITCHBOARD_CONFIG")]
    config: Option<PathBuf>,
    /// The database: an SQLite file path (created if missing) or an `sqlite://` URL
    /// [default: switchboard.db].
    #[arg(long, env = "SWITCHBOARD_DB", hide_env_values = true)]
    db: Option<String>,
    /// A folder of workflow files to publish at start (unchanged files are not republished)
    /// [default: workflows].
    #[arg(long, env = "SWITCHBOARD_WORKFLOWS")]
    workflows: Option<PathBuf>,
    /// The workspace timezone [default: UTC].
    #[arg(long, env = "SWITCHBOARD_TIMEZONE")]
    timezone: Option<chrono_tz::Tz>,
    /// Where the webhook channel POSTs outbound messages.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_URL", hide_env_values = true)]
    webhook_url: Option<String>,
    /// Hosts or networks the HTTP step may call although they are private (repeatable).
    #[arg(long = "http-allow", env = "SWITCHBOARD_HTTP_ALLOW", value_delimiter = ',')]
    http_allow: Vec<String>,
    /// Log as JSON lines.
    #[arg(long, env = "SWITCHBOARD_LOG_JSON")]
    log_json: bool,
    /// What an agent's reply to a closed conversation does: `reopen` or `refuse` [default: reopen].
    #[arg(long, env = "SWITCHBOARD_REPLY_TO_CLOSED")]
    reply_to_closed: Option<switchboard::runtime::ReplyToClosed>,
    /// The key that encrypts secrets at rest: base64 of 32 random bytes (`openssl rand
    /// -base64 32`). Prefer the environment variable to the flag [default: with SQLite, a key
    /// file next to the database, created on first start; with PostgreSQL, none: secrets
    /// are refused].
    #[arg(long, env = "SWITCHBOARD_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Previous secret keys, comma-separated, still accepted for reading while rotating;
    /// everything they sealed is sealed again with the current key at start.
    #[arg(long, env = "SWITCHBOARD_SECRET_KEY_PREVIOUS", value_delimiter = ',', hide_env_values = true)]
    secret_key_previous: Vec<String>,
    /// `/readyz` fails when a background loop is busy in one iteration for longer than this
    /// many seconds [default: 30].
    #[arg(long, env = "SWITCHBOARD_READY_LOOP_SILENT", value_parser = clap::value_parser!(u64).range(1..))]
    ready_loop_silent: Option<u64>,
    /// `/readyz` fails when the oldest queued event is older than this many seconds [default: 60].
    #[arg(long, env = "SWITCHBOARD_READY_QUEUED_EVENT", value_parser = clap::value_parser!(u64).range(1..))]
    ready_queued_event: Option<u64>,
    /// `/readyz` fails when an outbox row has been due for longer than this many seconds
    /// [default: 60].
    #[arg(long, env = "SWITCHBOARD_READY_OUTBOX_DUE", value_parser = clap::value_parser!(u64).range(1..))]
    ready_outbox_due: Option<u64>,
    /// `/readyz` fails when a timer is overdue by more than this many seconds [default: 60].
    #[arg(long, env = "SWITCHBOARD_READY_TIMER_OVERDUE", value_parser = clap::value_parser!(u64).range(1..))]
    ready_timer_overdue: Option<u64>,
    /// How long outbox rows are kept after they were performed or given up: a duration
    /// (`7d`, `12h`) or `forever` [default: 7d].
    #[arg(long, env = "SWITCHBOARD_RETAIN_OUTBOX")]
    retain_outbox: Option<Kept>,
    /// How long ended runs and their journals are kept (the runs list and the canvas's
    /// figures cover what is kept) [default: 30d].
    #[arg(long, env = "SWITCHBOARD_RETAIN_RUNS")]
    retain_runs: Option<Kept>,
    /// How long transcript lines (messages) are kept [default: 365d].
    #[arg(long, env = "SWITCHBOARD_RETAIN_MESSAGES")]
    retain_messages: Option<Kept>,
}

/// The settings in force: flags and environment over the config file over the defaults.
struct Settings {
    listen: std::net::SocketAddr,
    admin_token: Option<String>,
    database_url: String,
    workflows: PathBuf,
    timezone: chrono_tz::Tz,
    webhook_url: Option<String>,
    http_allow: Vec<String>,
    log_json: bool,
    reply_to_closed: switchboard::runtime::ReplyToClosed,
    opt_out: switchboard::runtime::OptOutKeywords,
    /// `None`: the engine's default (`switchboard::secrets::default_keyring`).
    secret_keys: Option<switchboard::secrets::Keyring>,
    ready: switchboard::runtime::ReadyThresholds,
    retention: switchboard::runtime::Retention,
    /// Test-only fault injection: loops to make panic once, each after a delay.
    chaos: Vec<(switchboard::runtime::Loop, std::time::Duration)>,
}

impl Settings {
    fn resolve(run: RunArgs, listen: Option<std::net::SocketAddr>, admin_token: Option<String>) -> Result<Settings> {
        use switchboard::config::{database_url, FileSettings};
        let file = FileSettings::read(run.config.as_deref()).map_err(anyhow::Error::msg)?;
        let listen = match (listen, file.listen) {
            (Some(l), _) => l,
            (None, Some(l)) => l.parse().map_err(|e| anyhow::anyhow!("config `listen` ({l}): {e}"))?,
            (None, None) => std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let timezone = match (run.timezone, file.timezone) {
            (Some(tz), _) => tz,
            (None, Some(tz)) => tz.parse().map_err(|e| anyhow::anyhow!("config `timezone` ({tz}): {e}"))?,
            (None, None) => chrono_tz::UTC,
        };
        let db = run.db.or(file.db).unwrap_or_else(|| "switchboard.db".into());
        let previous = if run.secret_key_previous.is_empty() {
            file.secret_key_previous.unwrap_or_default()
        } else {
            run.secret_key_previous
        };
        let secret_keys = match run.secret_key.or(file.secret_key) {
            Some(key) => Some(switchboard::secrets::Keyring::from_base64(&key, &previous).map_err(anyhow::Error::msg)?),
            None if previous.iter().any(|p| !p.trim().is_empty()) => anyhow::bail!(
                "{} is set but {} is not: give the new key too",
                switchboard::secrets::PREVIOUS_KEYS_ENV,
                switchboard::secrets::KEY_ENV
            ),
            None => None,
        };
        let file_ready = file.ready.unwrap_or_default();
        let defaults = switchboard::runtime::ReadyThresholds::default();
        let seconds =
            |flag: Option<u64>, file: Option<u64>, default: std::time::Duration, key: &str| match flag.or(file) {
                Some(0) => anyhow::bail!("config `ready.{key}`: a threshold is at least 1 second"),
                Some(n) => Ok(std::time::Duration::from_secs(n)),
                None => Ok(default),
            };
        let ready = switchboard::runtime::ReadyThresholds {
            loop_silent: seconds(run.ready_loop_silent, file_ready.loop_silent, defaults.loop_silent, "loop_silent")?,
            queued_event: seconds(
                run.ready_queued_event,
                file_ready.queued_event,
                defaults.queued_event,
                "queued_event",
            )?,
            outbox_due: seconds(run.ready_outbox_due, file_ready.outbox_due, defaults.outbox_due, "outbox_due")?,
            timer_overdue: seconds(
                run.ready_timer_overdue,
                file_ready.timer_overdue,
                defaults.timer_overdue,
                "timer_overdue",
            )?,
        };
        let file_retention = file.retention.unwrap_or_default();
        let defaults = switchboard::runtime::Retention::default();
        let kept = |flag: Option<Kept>, file: Option<Kept>, default| flag.or(file).map_or(default, |Kept(keep)| keep);
        let retention = switchboard::runtime::Retention {
            outbox: kept(run.retain_outbox, file_retention.outbox, defaults.outbox),
            runs: kept(run.retain_runs, file_retention.runs, defaults.runs),
            messages: kept(run.retain_messages, file_retention.messages, defaults.messages),
        };
        let chaos = match std::env::var(switchboard::runtime::CHAOS_ENV) {
            Ok(text) => switchboard::runtime::chaos_plan(&text).map_err(anyhow::Error::msg)?,
            Err(_) => Vec::new(),
        };
        Ok(Settings {
            listen,
            admin_token: admin_token.or(file.admin_token),
            database_url: database_url(&db).map_err(anyhow::Error::msg)?,
            workflows: run.workflows.or(file.workflows).unwrap_or_else(|| PathBuf::from("workflows")),
            timezone,
            webhook_url: run.webhook_url.or(file.webhook_url),
            http_allow: if run.http_allow.is_empty() { file.http_allow.unwrap_or_default() } else { run.http_allow },
            log_json: run.log_json || file.log_json.unwrap_or(false),
            reply_to_closed: run.reply_to_closed.or(file.reply_to_closed).unwrap_or_default(),
            opt_out: file.opt_out.unwrap_or_default(),
            secret_keys,
            ready,
            retention,
            chaos,
        })
    }
}

fn main() -> ExitCode {
    // A failure (a bad setting, a database that cannot be opened) is one line on stderr,
    // with its causes, not a backtrace.
    match command(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn command(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(run(args))
        }
        Command::Serve(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(serve(args))
        }
        Command::Validate { files } => {
            let mut stdout = std::io::stdout().lock();
            match switchboard::cli::validate(&files, &mut stdout) {
                Ok(summary) => Ok(if summary.errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }),
                // The reader went away (`| head`); that is not an error worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
                Err(e) => Err(e.into()),
            }
        }
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&switchboard::server::openapi::document())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { kind, trigger } => {
            let schema = match trigger {
                Some(t) => switchboard::cli::trigger_schema(&t),
                None => switchboard::cli::schema(kind.as_deref()),
            };
            match schema {
                Ok(schema) => {
                    println!("{}", serde_json::to_string_pretty(&schema)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(message) => {
                    eprintln!("error: {message}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

async fn run(args: RunArgs) -> Result<ExitCode> {
    let settings = Settings::resolve(args, None, None)?;
    let engine = start_engine(&settings).await?;
    tracing::info!(db = %switchboard::store::redact(&settings.database_url), "engine running");
    engine.run_background(shutdown_signal()).await;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let settings = Settings::resolve(args.run, args.listen, args.admin_token)?;
    let engine = start_engine(&settings).await?;
    let now = switchboard::clock::to_millis(engine.clock().now());
    match switchboard::server::auth::ensure_admin(engine.pool(), settings.admin_token.as_deref(), now).await {
        Ok(Some(token)) => {
            // Printed once, on stdout; logs go to stderr, so a log shipper does not carry it.
            println!("First start: an admin token was created. Keep it; it is not shown again:\n\n    {token}\n");
        }
        Ok(None) => {}
        Err(e) => anyhow::bail!("could not set up the admin token: {e}"),
    }
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    tracing::info!(listen = %settings.listen, db = %switchboard::store::redact(&settings.database_url), "serving");
    let app = switchboard::server::app(switchboard::server::AppState { engine: engine.clone() });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let background = {
        let engine = engine.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            engine
                .run_background(async move {
                    let _ = stop.changed().await;
                })
                .await
        })
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        })
        .await?;
    // In-flight requests have finished; the background loops stop between transactions.
    let _ = background.await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

async fn start_engine(args: &Settings) -> Result<switchboard::runtime::Engine> {
    use switchboard::runtime::{Engine, Options};
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Logs go to stderr; stdout carries only what is meant for the person at the terminal
    // (the first admin token). Colour only when a person reads stderr: escape codes in a
    // log file or a log shipper's stream are noise.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    if args.log_json {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).json().init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
    }
    let options = Options {
        database_url: args.database_url.clone(),
        timezone: args.timezone,
        webhook_url: args.webhook_url.clone(),
        http_allow: args.http_allow.clone(),
        reply_to_closed: args.reply_to_closed,
        crash_after: None,
        opt_out: args.opt_out.clone(),
        secret_keys: args.secret_keys.clone(),
        ready: args.ready,
        retention: args.retention,
        ..Options::default()
    };
    let engine = Engine::open(options, std::sync::Arc::new(switchboard::clock::SystemClock)).await?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.workflows)
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json"));
    files.sort();
    for file in files {
        let source = std::fs::read_to_string(&file)?;
        match engine.publish_if_changed(&source).await {
            Ok((id, version, true)) => tracing::info!(workflow = %id, version, file = %file.display(), "published"),
            Ok((id, version, false)) => tracing::info!(workflow = %id, version, "unchanged"),
            Err(switchboard::runtime::Error::Invalid(diagnostics)) => {
                for d in diagnostics.iter().filter(|d| d.is_error()) {
                    eprint!("{}", d.render(&file.display().to_string(), &source));
                }
                tracing::error!(file = %file.display(), "not published: the workflow has errors");
            }
            Err(e) => return Err(e.into()),
        }
    }
    // Test-only fault injection (SWITCHBOARD_CHAOS_PANIC): each named loop panics once, at
    // its first iteration after the delay; its supervisor logs it and starts it again.
    for &(which, delay) in &args.chaos {
        tracing::warn!(loop_name = %which, delay_ms = delay.as_millis() as u64, "{} is set: fault injection", switchboard::runtime::CHAOS_ENV);
        let engine = engine.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            engine.inject_panic(which);
        });
    }
    Ok(engine)
}
