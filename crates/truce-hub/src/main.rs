//! `truce-hub serve --database postgres://… --listen 127.0.0.1:7878`: migrates the database,
//! then serves the hub's API.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "truce-hub", version, about = "The Truce team hub")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve the API.
    Serve {
        /// The PostgreSQL database, e.g. postgres://truce@127.0.0.1:5432/truce
        #[arg(long, env = "TRUCE_HUB_DATABASE")]
        database: String,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TRUCE_LOG")
                .unwrap_or_else(|_| "truce=info".into()),
        )
        .init();
    let Command::Serve { database, listen } = Cli::parse().command;
    match run(&database, &listen).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("truce-hub: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(database: &str, listen: &str) -> Result<(), String> {
    let pool = truce_hub::pool(database)?;
    let version = truce_hub::schema::migrate(&pool).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(target: "truce::hub", "schema version {version}; listening on {listen}");
    truce_hub::serve(listener, pool)
        .await
        .map_err(|e| format!("serving: {e}"))
}
