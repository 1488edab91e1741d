//! `truce hub`: connecting this workspace to a team hub, syncing with it (what was recorded
//! here goes up, everyone else's comes down and is merged), and settling conflicts.

use std::process::ExitCode;

use clap::Subcommand;
use truce_core::{sync, Error};
use truce_facade::board::hub;

#[derive(Subcommand)]
pub enum HubCommand {
    /// Connect this workspace to the hub at URL (e.g. http://hub.example:7878)
    Connect { url: String },
    /// Keep this laptop's device token for the hub in the OS keyring (it is never written to
    /// the workspace); push, pull and sync then need no --token
    Login {
        /// The token the hub's admin issued for this laptop (`truce-hub device-add`)
        #[arg(long, env = "TRUCE_HUB_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Forget this laptop's device token for the hub
    Logout,
    /// Send the hub every change made here that it has not acknowledged yet
    Push {
        /// This laptop's device token; by default the one `truce hub login` kept
        #[arg(long, env = "TRUCE_HUB_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Push, then pull and merge everyone's changes (the usual command)
    Sync {
        #[arg(long, env = "TRUCE_HUB_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Pull and merge everyone's changes, sending nothing
    Pull {
        #[arg(long, env = "TRUCE_HUB_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Make this new, empty workspace a copy of the hub's workspace ID: from the hub's latest
    /// snapshot when it has one, then everything after it
    Join {
        url: String,
        /// The hub's workspace id (its admin or `truce hub status` on a laptop that has it)
        #[arg(long = "workspace-id")]
        workspace_id: String,
        #[arg(long, env = "TRUCE_HUB_TOKEN", hide_env_values = true)]
        token: String,
        /// Pull every operation from the first instead of starting from a snapshot
        #[arg(long)]
        replay: bool,
    },
    /// Sync, then give the hub a snapshot of this workspace for new laptops to join from
    /// (an admin's device)
    Snapshot {
        #[arg(long, env = "TRUCE_HUB_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Two changes made without seeing each other, waiting for a person to pick one
    Conflicts {
        /// One JSON object per line instead of text
        #[arg(long)]
        json: bool,
    },
    /// Settle conflict N: keep the value the workspace holds, or take the one set aside
    Resolve {
        id: i64,
        /// Take the change set aside instead of the one kept
        #[arg(long)]
        take_other: bool,
    },
    /// Which hub, this workspace's and this laptop's ids (for the hub's admin), and how many
    /// changes made here wait to be sent
    Status,
}

/// `truce hub join`: from the hub's snapshot unless `replay` (or the hub has none this build can
/// open), then a sync brings the rest. The workspace is not open while a snapshot replaces it.
fn join(
    target: &crate::Target,
    url: &str,
    workspace_id: &str,
    token: &str,
    replay: bool,
) -> Result<ExitCode, Error> {
    let (adopted, how) = if replay {
        (false, "replaying every operation".to_string())
    } else {
        let path = truce_core::workspace::resolve_workspace_path(target.path.as_deref());
        let opts = truce_core::workspace::OpenOptions::here();
        match sync::snapshot::join(&path, url, workspace_id, token, opts)? {
            Ok(p) => (
                true,
                format!("from the hub's snapshot of its first {} operations", p.seq),
            ),
            Err(sync::snapshot::Unused::None) => (
                false,
                "replaying every operation (the hub holds no snapshot)".into(),
            ),
            Err(sync::snapshot::Unused::TooNew { format }) => (false, format!(
                "replaying every operation (the hub's snapshot is of version {format}, newer than this Truce)"
            )),
        }
    };
    let mut ws = crate::open(target)?;
    if !adopted {
        sync::join(&mut ws, url, workspace_id)?;
    }
    // Nothing to send yet; the workspace then knows when it last synced.
    let r = sync::sync(&mut ws, token)?;
    println!(
        "joined workspace {workspace_id} on {url} {how}; {}",
        merged(&r)
    );
    Ok(ExitCode::SUCCESS)
}

/// The token given, else the one kept in the OS keyring for this workspace's hub and device.
fn token(ws: &truce_core::Workspace, given: Option<String>) -> Result<String, Error> {
    match given {
        Some(t) => Ok(t),
        None => hub::saved_token(ws),
    }
}

fn merged(r: &sync::SyncReport) -> String {
    let m = &r.merged;
    format!(
        "pushed {}, merged {} changes from other laptops ({} older than what was here, {} refused), {} new conflicts",
        r.pushed, m.applied, m.lost, m.refused, m.conflicts
    )
}

pub fn run(workspace: &crate::Target, command: HubCommand) -> Result<ExitCode, Error> {
    if let HubCommand::Join {
        url,
        workspace_id,
        token,
        replay,
    } = command
    {
        return join(workspace, &url, &workspace_id, &token, replay);
    }
    let mut ws = crate::open(workspace)?;
    match command {
        HubCommand::Connect { url } => {
            sync::connect(&mut ws, &url)?;
            println!(
                "connected to {}; {} changes made here wait to be pushed",
                sync::hub_url(&ws)?.unwrap_or_default(),
                sync::waiting(&ws)?
            );
        }
        HubCommand::Login { token } => {
            let url = hub::save_token(&ws, &token)?;
            println!("the device token for {url} is kept in the OS keyring");
        }
        HubCommand::Logout => {
            let said = if hub::forget_token(&ws)? {
                "the device token is forgotten"
            } else {
                "no device token was kept for this hub"
            };
            println!("{said}");
        }
        HubCommand::Push { token: given } => {
            let t = token(&ws, given)?;
            let r = sync::push(&mut ws, &t)?;
            println!(
                "pushed {} changes ({} the hub already had)",
                r.sent, r.duplicates
            );
        }
        HubCommand::Sync { token: given } => {
            let t = token(&ws, given)?;
            println!("{}", merged(&sync::sync(&mut ws, &t)?))
        }
        HubCommand::Pull { token: given } => {
            let t = token(&ws, given)?;
            println!("{}", merged(&sync::pull(&mut ws, &t)?))
        }
        HubCommand::Join { .. } => unreachable!("joined above, before the workspace is open"),
        HubCommand::Snapshot { token: given } => {
            let t = token(&ws, given)?;
            let packed = sync::snapshot::give(&mut ws, &t)?;
            println!(
                "the hub keeps a snapshot of this workspace holding its first {} operations; new laptops join from it",
                packed.seq
            );
        }
        HubCommand::Conflicts { json } => {
            let open = sync::conflicts(&ws, None)?;
            if json {
                for c in &open {
                    println!("{}", serde_json::to_string(c).unwrap_or_default());
                }
            } else if open.is_empty() {
                println!("no conflicts");
            } else {
                for c in &open {
                    let who = |s: &sync::conflicts::Change| {
                        s.actor_name.clone().unwrap_or_else(|| s.actor.clone())
                    };
                    let subject = c
                        .subject
                        .as_deref()
                        .map(|s| format!(" \"{s}\""))
                        .unwrap_or_default();
                    println!(
                        "{}  {} {}{subject} {}: kept {} ({}, {}), set aside {} ({}, {})",
                        c.id,
                        c.entity,
                        c.entity_id,
                        c.field,
                        c.kept.value,
                        who(&c.kept),
                        c.kept.at,
                        c.other.value,
                        who(&c.other),
                        c.other.at
                    );
                }
            }
        }
        HubCommand::Resolve { id, take_other } => {
            let side = if take_other {
                sync::Side::Other
            } else {
                sync::Side::Kept
            };
            let settled = sync::resolve(&mut ws, id, side)?;
            println!(
                "settled {} conflict(s); the decision goes to the hub at the next sync",
                settled.len()
            );
        }
        HubCommand::Status => {
            match sync::hub_url(&ws)? {
                Some(url) => println!(
                    "hub {url}: {} changes wait to be pushed, {} conflicts open",
                    sync::waiting(&ws)?,
                    sync::conflicts(&ws, None)?.len()
                ),
                None => println!("not connected to a hub (truce hub connect URL)"),
            }
            let (workspace, device) = sync::identity(&ws)?;
            println!("workspace {workspace}, this laptop's device {device}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
