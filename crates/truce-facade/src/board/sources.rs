//! A source's credentials, kept in the OS keyring under the source's id (never in the
//! workspace): the CLI and the shell save them when a source is added and read them for a sync.

use serde::{Deserialize, Serialize};
use truce_core::error::{Error, Result};
use truce_core::sources::{self, Keys};
use truce_core::Workspace;

#[derive(Serialize, Deserialize)]
struct Kept {
    access_key: String,
    secret_key: String,
}

fn keyring(e: truce_secrets::Error) -> Error {
    Error::Invalid(e.to_string())
}

/// Keeps the API keys of source `which` in the OS keyring.
pub fn save_keys(ws: &Workspace, which: &str, keys: &Keys) -> Result<()> {
    let source = sources::get(ws, which)?;
    sources::check_keys(&source.kind, keys)?;
    let kept = serde_json::to_string(&Kept {
        access_key: keys.access_key.trim().into(),
        secret_key: keys.secret_key.trim().into(),
    })
    .expect("keys serialize");
    truce_secrets::save_source_secret(&source.id, &kept).map_err(keyring)
}

/// The API keys of source `which`, from the OS keyring.
pub fn keys(ws: &Workspace, which: &str) -> Result<Keys> {
    let source = sources::get(ws, which)?;
    let kept = truce_secrets::load_source_secret(&source.id)
        .map_err(keyring)?
        .ok_or_else(|| {
            Error::Invalid(format!(
                "no credentials for source '{}' on this laptop: add them again (`truce sources add` or the Sources view)",
                source.name
            ))
        })?;
    let kept: Kept = serde_json::from_str(&kept).map_err(|_| {
        Error::Invalid(format!(
            "the keyring's entry for source '{}' is not Truce's: add its credentials again",
            source.name
        ))
    })?;
    Ok(Keys {
        access_key: kept.access_key,
        secret_key: kept.secret_key,
    })
}

/// Removes source `which` and forgets its credentials.
pub fn remove(ws: &mut Workspace, which: &str) -> Result<sources::Source> {
    let source = sources::remove(ws, which)?;
    truce_secrets::forget_source_secret(&source.id).map_err(keyring)?;
    Ok(source)
}
