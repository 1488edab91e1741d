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
    /// Let a laptop in: issue a token for its device (shown once; the hub keeps its hash)
    DeviceAdd {
        #[arg(long, env = "TRUCE_HUB_DATABASE")]
        database: String,
        /// The workspace's id (`truce hub status` on the laptop shows it)
        #[arg(long)]
        workspace: String,
        /// The laptop's device id (`truce hub status` shows it)
        #[arg(long)]
        device: String,
        /// Who uses it
        #[arg(long)]
        person: String,
        /// admin, security, ops, cab or viewer
        #[arg(long)]
        role: String,
    },
    /// Shut a laptop out: its token stops working at once
    DeviceRevoke {
        #[arg(long, env = "TRUCE_HUB_DATABASE")]
        database: String,
        device: String,
    },
    /// Migrate the database, then serve the API.
    Serve {
        /// The PostgreSQL database, e.g. postgres://truce@127.0.0.1:5432/truce
        #[arg(long, env = "TRUCE_HUB_DATABASE")]
        database: String,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:7878")]
        listen: String,
        /// Serve over TLS with this certificate chain (PEM); needs --tls-key
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The certificate's private key (PEM)
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
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
    let result = match Cli::parse().command {
        Command::Serve {
            database,
            listen,
            tls_cert,
            tls_key,
        } => {
            let tls = tls_cert.zip(tls_key);
            run(&database, &listen, tls).await
        }
        Command::DeviceAdd {
            database,
            workspace,
            device,
            person,
            role,
        } => add_device(&database, &workspace, &device, &person, &role).await,
        Command::DeviceRevoke { database, device } => revoke_device(&database, &device).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("truce-hub: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(
    database: &str,
    listen: &str,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> Result<(), String> {
    // A wrong certificate is said before anything else happens.
    let tls = match tls {
        Some((cert, key)) => {
            let read = |p: &std::path::Path| {
                std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
            };
            Some(truce_hub::tls::config(&read(&cert)?, &read(&key)?)?)
        }
        None => None,
    };
    let pool = migrated(database).await?;
    let version = truce_hub::schema::LATEST;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(target: "truce::hub", "schema version {version}; listening on {scheme}://{listen}");
    match tls {
        Some(config) => truce_hub::tls::serve(listener, truce_hub::router(pool), config).await,
        None => truce_hub::serve(listener, pool).await,
    }
    .map_err(|e| format!("serving: {e}"))
}

async fn migrated(database: &str) -> Result<truce_hub::Pool, String> {
    let pool = truce_hub::pool(database)?;
    truce_hub::schema::migrate(&pool).await?;
    Ok(pool)
}

async fn add_device(
    database: &str,
    workspace: &str,
    device: &str,
    person: &str,
    role: &str,
) -> Result<(), String> {
    let pool = migrated(database).await?;
    let token = truce_hub::devices::issue(&pool, workspace, device, person, role)
        .await
        .map_err(|e| e.to_string())?;
    // The token goes to the laptop's user, once; the hub keeps only its hash.
    println!("{token}");
    Ok(())
}

async fn revoke_device(database: &str, device: &str) -> Result<(), String> {
    let pool = migrated(database).await?;
    if truce_hub::devices::revoke(&pool, device)
        .await
        .map_err(|e| e.to_string())?
    {
        println!("revoked {device}");
        Ok(())
    } else {
        Err(format!("no device '{device}' with a token in use"))
    }
}
