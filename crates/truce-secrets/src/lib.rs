//! Secrets Truce keeps for a person, in the OS keyring (the Secret Service on Linux, through the
//! `keyring` crate): a laptop's device token for a team hub, and the credentials of the scanners'
//! APIs it syncs from (one entry per source, under the source's id). A token is never written to
//! a workspace, a log or an error: the workspace names the hub and the device, the keyring holds
//! the token under those two. **Never depends on** the core, SQLite or the network.

use keyring::Entry;

/// The keyring's service name for hub tokens.
const SERVICE: &str = "truce-hub";

/// Why the keyring could not do what was asked, in words that name no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the OS keyring: {}", self.0)
    }
}

impl std::error::Error for Error {}

fn entry(hub: &str, device: &str) -> Result<Entry, Error> {
    Entry::new(SERVICE, &account(hub, device)).map_err(said)
}

/// The keyring's name for the token of `device` on `hub`: one laptop may work with several hubs.
pub fn account(hub: &str, device: &str) -> String {
    format!("{device}@{}", hub.trim().trim_end_matches('/'))
}

/// The keyring's own words, which never hold the secret (it reports where, not what).
fn said(e: keyring::Error) -> Error {
    Error(match e {
        keyring::Error::NoStorageAccess(inner) => format!(
            "no keyring could be reached ({inner}); is a Secret Service (gnome-keyring, KWallet) running and unlocked?"
        ),
        keyring::Error::PlatformFailure(inner) => format!("the keyring failed: {inner}"),
        other => other.to_string(),
    })
}

/// Keeps `token` as the device token of `device` on `hub`, replacing any before.
pub fn save_token(hub: &str, device: &str, token: &str) -> Result<(), Error> {
    if token.trim().is_empty() {
        return Err(Error("an empty token is not kept".into()));
    }
    entry(hub, device)?.set_password(token.trim()).map_err(said)
}

/// The device token of `device` on `hub`, if one is kept.
pub fn load_token(hub: &str, device: &str) -> Result<Option<String>, Error> {
    match entry(hub, device)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(said(e)),
    }
}

/// Forgets the device token of `device` on `hub`; whether there was one.
pub fn forget_token(hub: &str, device: &str) -> Result<bool, Error> {
    match entry(hub, device)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(said(e)),
    }
}

/// The keyring's service name for sources' credentials.
const SOURCES: &str = "truce-source";

/// Keeps `secret` as the credentials of source `source` (its id), replacing any before.
pub fn save_source_secret(source: &str, secret: &str) -> Result<(), Error> {
    if secret.trim().is_empty() {
        return Err(Error("empty credentials are not kept".into()));
    }
    Entry::new(SOURCES, source)
        .map_err(said)?
        .set_password(secret)
        .map_err(said)
}

/// The credentials of source `source`, if kept.
pub fn load_source_secret(source: &str) -> Result<Option<String>, Error> {
    match Entry::new(SOURCES, source).map_err(said)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(said(e)),
    }
}

/// Forgets the credentials of source `source`; whether there were any.
pub fn forget_source_secret(source: &str) -> Result<bool, Error> {
    match Entry::new(SOURCES, source)
        .map_err(said)?
        .delete_credential()
    {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(said(e)),
    }
}
