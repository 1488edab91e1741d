//! The team hub as the page sees it: the sync state at a glance, connecting, the conflicts
//! waiting for a person and settling one. Syncing itself needs the network and the device token
//! (in the OS keyring): the shell runs it with [`sync`], outside this table, so a sync never holds
//! the workspace while it waits on the hub.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::NoArgs;
use truce_core::error::{Error, Result};
use truce_core::sync::{self, Conflict, HubStatus, Reach, Side, SyncReport};
use truce_core::Workspace;

pub fn hub_status(ws: &mut Workspace, _now: DateTime<Utc>, _r: NoArgs) -> Result<HubStatus> {
    sync::status(ws)
}

/// Connect to the hub at `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HubConnectRequest {
    pub url: String,
}

pub fn hub_connect(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: HubConnectRequest,
) -> Result<HubStatus> {
    sync::connect(ws, &r.url)?;
    sync::status(ws)
}

pub fn hub_conflicts(ws: &mut Workspace, _now: DateTime<Utc>, _r: NoArgs) -> Result<Vec<Conflict>> {
    sync::conflicts(ws, None)
}

/// Settle conflict `id` by `side`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HubResolveRequest {
    #[ts(type = "number")]
    pub id: i64,
    pub side: Side,
}

/// Settles one conflict (and the others the same change made on the same row); answers the
/// conflicts still open.
pub fn hub_resolve(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: HubResolveRequest,
) -> Result<Vec<Conflict>> {
    sync::resolve(ws, r.id, r.side)?;
    sync::conflicts(ws, None)
}

/// The hub and device of `ws`: where its token is kept.
fn hub_and_device(ws: &Workspace) -> Result<(String, String)> {
    let url = sync::hub_url(ws)?.ok_or_else(|| {
        Error::Invalid("this workspace is not connected to a hub (truce hub connect URL)".into())
    })?;
    Ok((url, sync::identity(ws)?.1))
}

fn keyring(e: truce_secrets::Error) -> Error {
    Error::Invalid(e.to_string())
}

/// Keeps this laptop's device token for the hub of `ws` in the OS keyring; the hub's address.
pub fn save_token(ws: &Workspace, token: &str) -> Result<String> {
    let (url, device) = hub_and_device(ws)?;
    truce_secrets::save_token(&url, &device, token).map_err(keyring)?;
    Ok(url)
}

/// Forgets this laptop's device token for the hub of `ws`; whether one was kept.
pub fn forget_token(ws: &Workspace) -> Result<bool> {
    let (url, device) = hub_and_device(ws)?;
    truce_secrets::forget_token(&url, &device).map_err(keyring)
}

/// This laptop's device token for the hub of `ws`, from the OS keyring.
pub fn saved_token(ws: &Workspace) -> Result<String> {
    let (url, device) = hub_and_device(ws)?;
    truce_secrets::load_token(&url, &device)
        .map_err(keyring)?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "no device token for {url} on this laptop: sign in to the hub with the token its admin issued (`truce hub login --token …`)"
            ))
        })
}

/// [`save_token`] for the shell, whose workspace others use meanwhile.
pub fn login(ws: &impl Reach, token: &str) -> Result<()> {
    ws.reach(&mut |ws| save_token(ws, token)).map(|_| ())
}

/// Pushes, then pulls and merges, with the token kept in the OS keyring; the workspace is
/// reached only between network calls.
pub fn sync(ws: &impl Reach) -> Result<SyncReport> {
    let token = ws.reach(&mut |ws| saved_token(ws))?;
    sync::sync_shared(ws, &token)
}
