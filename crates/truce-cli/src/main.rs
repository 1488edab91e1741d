//! `truce`: the same core as the desktop app, for scripts and cron.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use truce_core::workspace::{demo_workspace_path, resolve_workspace_path, WORKSPACE_ENV};
use truce_core::{api, demo, ingest, Workspace};

#[derive(Parser)]
#[command(
    name = "truce",
    version,
    about = "Vulnerability remediation plans that security and operations agree on"
)]
struct Cli {
    /// The workspace file (default: the OS data folder's truce/workspace.truce)
    #[arg(long, global = true, env = WORKSPACE_ENV, value_name = "PATH")]
    workspace: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the demo workspace from real scanner reports (replaces the file if it exists)
    Demo {
        /// Where to write it (default: --workspace, else the OS data folder's truce/demo.truce)
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },
    /// Import scanner reports; each file is imported in one transaction
    Import {
        /// Read the files as this format instead of detecting it from their content
        #[arg(long, value_name = "NAME")]
        format: Option<String>,
        /// Print one JSON object per file
        #[arg(long)]
        json: bool,
        /// Report files to import
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Record the real backend's answers for the UI's browser tests (developer tool)
    #[command(hide = true)]
    UiFixture {
        /// Where to write the JSON
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Counts of assets, findings, work items and change windows
    Status {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("truce: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, truce_core::Error> {
    match cli.command {
        Command::Demo { path } => {
            let path = path.or(cli.workspace).unwrap_or_else(demo_workspace_path);
            demo::create_demo(&path)?;
            let ws = Workspace::open_existing(&path)?;
            let c = api::counts(&ws)?;
            println!(
                "Demo workspace written to {}: {} assets, {} findings ({} open), {} work items, {} change windows",
                path.display(), c.assets, c.findings, c.open_findings, c.work_items, c.change_windows
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            format,
            json,
            files,
        } => {
            let mut ws = Workspace::open(resolve_workspace_path(cli.workspace.as_deref()))?;
            let mut failed = false;
            for file in files {
                match ingest::import_file(&mut ws, &file, format.as_deref()) {
                    Ok(r) if json => println!("{}", serde_json::to_string(&r).expect("report serializes")),
                    Ok(r) => println!(
                        "{}: {} ({} assets, {} findings): {} new, {} closed, {} reopened, {} unchanged",
                        r.file, r.format, r.assets, r.findings, r.new, r.closed, r.reopened, r.unchanged
                    ),
                    Err(e) => {
                        eprintln!("truce: {e}");
                        failed = true;
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::UiFixture { out } => {
            let dir = std::env::temp_dir().join(format!("truce-ui-fixture-{}", std::process::id()));
            let recorded = truce_core::ui_fixture::record(&dir)?;
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::write(
                &out,
                serde_json::to_string_pretty(&recorded).expect("fixture serializes"),
            )
            .map_err(|e| truce_core::Error::Io {
                path: out.clone(),
                detail: e.to_string(),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            let ws = Workspace::open_existing(resolve_workspace_path(cli.workspace.as_deref()))?;
            let c = api::counts(&ws)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&c).expect("counts serialize")
                );
            } else {
                println!("workspace      {}", ws.path().display());
                println!("assets         {}", c.assets);
                println!("findings       {} ({} open)", c.findings, c.open_findings);
                let s = &c.open_by_severity;
                println!(
                    "  open by severity: {} critical, {} high, {} medium, {} low, {} info",
                    s.critical, s.high, s.medium, s.low, s.info
                );
                println!("work items     {}", c.work_items);
                println!("change windows {}", c.change_windows);
                println!("imports        {}", c.imports);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
