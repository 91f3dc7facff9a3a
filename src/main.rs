//! partnerbot's entry point: parse the command line, start tracing, run.

use clap::Parser;
use partnerbot::cli::{self, Cli};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("PARTNERBOT_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_filter(&cli)));
    let json = std::env::var("PARTNERBOT_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
    match cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line naming what is wrong (config errors already read that way).
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The demo prints a conversation on stdout; its logs would only get in the way.
fn default_filter(cli: &Cli) -> &'static str {
    match cli.command {
        cli::Command::Demo { .. } => "error",
        _ => "info,sqlx=warn",
    }
}
