//! The `switchboard` command.

use anyhow::Result;
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
    /// Print the JSON Schema of the workflow file format; with `--kind K`, of one step
    /// kind's config; with `--kind kinds`, the catalogue of every kind (ports, outputs).
    Schema {
        #[arg(long)]
        kind: Option<String>,
    },
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
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
