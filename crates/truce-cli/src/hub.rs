//! `truce hub`: connecting this workspace to a team hub and pushing what was recorded here.

use std::process::ExitCode;

use clap::Subcommand;
use truce_core::{sync, Error};

#[derive(Subcommand)]
pub enum HubCommand {
    /// Connect this workspace to the hub at URL (e.g. http://hub.example:7878)
    Connect { url: String },
    /// Send the hub every change made here that it has not acknowledged yet
    Push {
        /// This laptop's device token, from the hub's admin (`truce-hub device-add`)
        #[arg(long, env = "TRUCE_HUB_TOKEN", hide_env_values = true)]
        token: String,
    },
    /// Which hub, this workspace's and this laptop's ids (for the hub's admin), and how many
    /// changes made here wait to be sent
    Status,
}

pub fn run(workspace: &crate::Target, command: HubCommand) -> Result<ExitCode, Error> {
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
        HubCommand::Push { token } => {
            let r = sync::push(&mut ws, &token)?;
            println!(
                "pushed {} changes ({} the hub already had)",
                r.sent, r.duplicates
            );
        }
        HubCommand::Status => {
            match sync::hub_url(&ws)? {
                Some(url) => println!(
                    "hub {url}: {} changes wait to be pushed",
                    sync::waiting(&ws)?
                ),
                None => println!("not connected to a hub (truce hub connect URL)"),
            }
            let (workspace, device) = sync::identity(&ws)?;
            println!("workspace {workspace}, this laptop's device {device}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
