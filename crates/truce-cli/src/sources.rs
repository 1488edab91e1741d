//! `truce sources`: the scanners' APIs this workspace syncs findings from, for people and for
//! cron on a jump host. Credentials go to the OS keyring, never to the workspace.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Subcommand;
use truce_core::sources::{self, Keys, Patience, Step};
use truce_core::Error;
use truce_facade::board::sources as kept;

#[derive(Subcommand)]
pub enum SourcesCommand {
    /// Add a source; its API keys go to the OS keyring
    Add {
        /// The kind of source: tenable-vm, tenable-sc, qualys-vmdr, rapid7-insightvm, defender, defectdojo
        kind: String,
        /// A name for it (unique in this workspace)
        #[arg(long)]
        name: String,
        /// The API's address, e.g. https://cloud.tenable.com
        #[arg(long)]
        url: String,
        /// The API access key (Tenable) or user name; not for a token-only source (DefectDojo)
        #[arg(
            long,
            visible_alias = "user",
            env = "TRUCE_SOURCE_ACCESS_KEY",
            hide_env_values = true
        )]
        access_key: Option<String>,
        /// The API secret key, token (DefectDojo) or password
        #[arg(
            long,
            visible_aliases = ["token", "password"],
            env = "TRUCE_SOURCE_SECRET_KEY",
            hide_env_values = true
        )]
        secret_key: String,
        /// Sync only this part of the scanner, in the kind's words: a Tenable tag (Location=Paris),
        /// Security Center repository ids (1,3), Qualys asset group ids, an InsightVM site id, a
        /// DefectDojo product name
        #[arg(long)]
        scope: Option<String>,
    },
    /// Sync only a part of the scanner (see add --scope), or everything without a scope
    Scope { name: String, scope: Option<String> },
    /// Every source, with its last sync and last problem
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check that a source answers and takes its keys
    Test {
        name: String,
        #[command(flatten)]
        keys: GivenKeys,
    },
    /// Sync a source: what changed since its last sync (everything with --full)
    Sync {
        name: String,
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        keys: GivenKeys,
    },
    /// Remove a source and forget its keys (what it imported stays)
    Remove { name: String },
}

/// Keys given for one command (a jump host's cron without a keyring); by default the ones the
/// OS keyring keeps for the source.
#[derive(clap::Args)]
pub struct GivenKeys {
    /// The API access key or user name, instead of the keyring's
    #[arg(
        long,
        visible_alias = "user",
        env = "TRUCE_SOURCE_ACCESS_KEY",
        hide_env_values = true,
        requires = "secret_key"
    )]
    access_key: Option<String>,
    /// The API secret key, token or password, instead of the keyring's
    #[arg(
        long,
        visible_aliases = ["token", "password"],
        env = "TRUCE_SOURCE_SECRET_KEY",
        hide_env_values = true
    )]
    secret_key: Option<String>,
}

impl GivenKeys {
    fn or_kept(self, ws: &truce_core::Workspace, name: &str) -> Result<Keys, Error> {
        match self.secret_key {
            Some(secret_key) => Ok(Keys {
                access_key: self.access_key.unwrap_or_default(),
                secret_key,
            }),
            None => kept::keys(ws, name),
        }
    }
}

fn said(step: Step) {
    match step {
        Step::Preparing { status, ready } => {
            eprintln!(
                "the export is {} ({ready} {} ready)",
                status.to_lowercase(),
                if ready == 1 { "chunk" } else { "chunks" }
            )
        }
        // Said once imported, with the findings (Landed).
        Step::Chunk { .. } => {}
        Step::RateLimited { wait } => {
            eprintln!("the API asks to slow down: waiting {} s", wait.as_secs())
        }
        Step::Retrying { wait, problem } => {
            eprintln!("{problem}; trying again in {} s", wait.as_secs_f32().ceil())
        }
        Step::Landed { pages, findings } => eprintln!(
            "{pages} {}, {findings} {} imported so far",
            if pages == 1 { "page" } else { "pages" },
            if findings == 1 { "finding" } else { "findings" }
        ),
    }
}

/// The first Ctrl+C asks the sync to stop at its next wait on the network (what it imported
/// stays, the next sync goes on from there); a second one quits at once, which is as safe: each
/// page is one transaction.
fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::Relaxed) {
            std::process::exit(130);
        }
        eprintln!("stopping at the next wait (Ctrl+C again to quit at once)");
    });
    stop
}

pub fn run(target: &crate::Target, command: SourcesCommand) -> Result<ExitCode, Error> {
    let mut ws = crate::open(target)?;
    let patience = Patience::default();
    match command {
        SourcesCommand::Add {
            kind,
            name,
            url,
            access_key,
            secret_key,
            scope,
        } => {
            let source = sources::add(&mut ws, &kind, &name, &url)?;
            if let Err(e) = sources::set_scope(&mut ws, &source.id, scope.as_deref()) {
                let _ = sources::remove(&mut ws, &source.id);
                return Err(e);
            }
            let keys = Keys {
                access_key: access_key.unwrap_or_default(),
                secret_key,
            };
            if let Err(e) = kept::save_keys(&ws, &source.id, &keys) {
                // A source nobody can sync is not kept.
                let _ = sources::remove(&mut ws, &source.id);
                return Err(e);
            }
            println!(
                "added {} source '{}' at {}; its keys are in the OS keyring",
                source.kind, source.name, source.url
            );
        }
        SourcesCommand::List { json } => {
            let all = sources::list(&ws)?;
            if json {
                for s in &all {
                    println!("{}", serde_json::to_string(s).unwrap_or_default());
                }
            } else if all.is_empty() {
                let kinds: Vec<_> = sources::kinds().iter().map(|k| k.name).collect();
                println!(
                    "no sources (truce sources add <{}> --name … --url …)",
                    kinds.join("|")
                );
            }
            if !json {
                for s in &all {
                    println!(
                        "{}  {}  {}  last sync: {}{}",
                        s.name,
                        s.kind,
                        s.url,
                        s.last_sync_at.as_deref().unwrap_or("never"),
                        s.last_problem
                            .as_deref()
                            .map(|p| format!("; last problem: {p}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        SourcesCommand::Test { name, keys } => {
            let keys = keys.or_kept(&ws, &name)?;
            let source = sources::check(&ws, &name, &keys, &patience)?;
            println!("source '{}' answers and takes its keys", source.name);
        }
        SourcesCommand::Sync {
            name,
            full,
            json,
            keys,
        } => {
            let keys = keys.or_kept(&ws, &name)?;
            let patience = Patience {
                cancel: Some(stop_on_ctrl_c()),
                ..patience
            };
            let r = sources::sync(&mut ws, &name, &keys, full, &patience, &said)?;
            if json {
                println!("{}", serde_json::to_string(&r).unwrap_or_default());
            } else {
                println!("{}{r}", if r.resumed { "resumed: " } else { "" });
            }
        }
        SourcesCommand::Scope { name, scope } => {
            let s = sources::set_scope(&mut ws, &name, scope.as_deref())?;
            match s.scope {
                Some(scope) => println!(
                    "source '{}' syncs {scope} only; its next sync reads all of it",
                    s.name
                ),
                None => println!("source '{}' syncs all its credentials may see", s.name),
            }
        }
        SourcesCommand::Remove { name } => {
            let source = kept::remove(&mut ws, &name)?;
            println!("removed source '{}'; its keys are forgotten", source.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
