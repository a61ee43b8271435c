//! The `switchboard` command.

use anyhow::Result;

// mimalloc: the engine allocates many short-lived JSON values per step; measured 25-30% more
// step transitions per second than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "switchboard", version, about = "Visual workflow automation for customer-messaging teams")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check workflow files; prints every problem as `file:line:col: error[CODE]: message`
    /// and exits 1 if any file has an error.
    Validate {
        /// Workflow files (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run the engine headless: publish the workflows in `--workflows`, then process events,
    /// timers and the outbox until interrupted. (The HTTP server comes with `serve`.)
    Run(RunArgs),
    /// Print the JSON Schema of the workflow file format; with `--kind K`, of one step
    /// kind's config; with `--kind kinds`, the catalogue of every kind (ports, outputs).
    Schema {
        #[arg(long)]
        kind: Option<String>,
    },
}

/// Options of `switchboard run`.
#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The SQLite database file (created if missing).
    #[arg(long, env = "SWITCHBOARD_DB", default_value = "switchboard.db")]
    db: PathBuf,
    /// A folder of workflow files to publish at start (unchanged files are not republished).
    #[arg(long, env = "SWITCHBOARD_WORKFLOWS", default_value = "workflows")]
    workflows: PathBuf,
    /// The workspace timezone.
    #[arg(long, env = "SWITCHBOARD_TIMEZONE", default_value = "UTC")]
    timezone: chrono_tz::Tz,
    /// Where the webhook channel POSTs outbound messages.
    #[arg(long, env = "SWITCHBOARD_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// Hosts or networks the HTTP step may call although they are private (repeatable).
    #[arg(long = "http-allow", env = "SWITCHBOARD_HTTP_ALLOW", value_delimiter = ',')]
    http_allow: Vec<String>,
    /// Log as JSON lines.
    #[arg(long, env = "SWITCHBOARD_LOG_JSON")]
    log_json: bool,
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(run(args))
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
        Command::Schema { kind } => match switchboard::cli::schema(kind.as_deref()) {
            Ok(schema) => {
                println!("{}", serde_json::to_string_pretty(&schema)?);
                Ok(ExitCode::SUCCESS)
            }
            Err(message) => {
                eprintln!("error: {message}");
                Ok(ExitCode::from(2))
            }
        },
    }
}

async fn run(args: RunArgs) -> Result<ExitCode> {
    use switchboard::runtime::{Engine, Options};
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    if args.log_json {
        tracing_subscriber::fmt().with_env_filter(filter).json().init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let options = Options {
        database_url: format!("sqlite://{}", args.db.display()),
        timezone: args.timezone,
        webhook_url: args.webhook_url,
        http_allow: args.http_allow,
        crash_after: None,
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
    tracing::info!(db = %args.db.display(), "engine running");
    engine
        .run_background(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    Ok(ExitCode::SUCCESS)
}
