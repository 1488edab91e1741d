//! Sources as the page sees them (the Sources view: adding one, its schedule, its test and sync
//! as jobs the page follows), and a source's credentials, kept in the OS keyring under the
//! source's id (never in the workspace): saved when a source is added, read for a test or sync.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use truce_core::error::{Error, Result};
use truce_core::sources::{self, Keys, SourceKind};
use truce_core::Workspace;
use ts_rs::TS;

use super::source_jobs;
pub use super::source_jobs::{JobKind, SourceJob};
use super::NoArgs;

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

/// The Sources view: the kinds a source can be, and each source with its latest job.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SourcesPage {
    pub kinds: Vec<SourceKind>,
    pub sources: Vec<SourceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SourceRow {
    pub source: sources::Source,
    /// Its latest test or sync in this app session, running or ended.
    pub job: Option<SourceJob>,
    /// Its schedule says a sync is due now (the page starts it).
    pub due: bool,
}

pub fn sources(ws: &mut Workspace, now: DateTime<Utc>, _r: NoArgs) -> Result<SourcesPage> {
    let rows = sources::list(ws)?
        .into_iter()
        .map(|s| SourceRow {
            job: source_jobs::job(ws, &s.id),
            due: sources::due(&s, now),
            source: s,
        })
        .collect();
    Ok(SourcesPage {
        kinds: sources::kinds(),
        sources: rows,
    })
}

/// A new source and its credentials (these go to the OS keyring, never the workspace).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AddSourceRequest {
    pub kind: String,
    pub name: String,
    pub url: String,
    pub access_key: String,
    pub secret_key: String,
    /// What part of the scanner to sync, in the kind's words; none or empty: everything.
    #[serde(default)]
    pub scope: Option<String>,
}

/// Adds a source and keeps its credentials in the OS keyring; a source whose credentials could
/// not be kept is not added.
pub fn add_source(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: AddSourceRequest,
) -> Result<sources::Source> {
    let keys = Keys {
        access_key: r.access_key,
        secret_key: r.secret_key,
    };
    sources::check_keys(&r.kind, &keys)?;
    let source = sources::add(ws, &r.kind, &r.name, &r.url)?;
    // A source with a scope it cannot take, or whose credentials could not be kept, is not kept.
    let kept = sources::set_scope(ws, &source.id, r.scope.as_deref())
        .and_then(|s| save_keys(ws, &s.id, &keys).map(|()| s));
    if kept.is_err() {
        let _ = sources::remove(ws, &source.id);
    }
    kept
}

/// One source, by name or id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SourceRequest {
    pub name: String,
}

pub fn remove_source(ws: &mut Workspace, _now: DateTime<Utc>, r: SourceRequest) -> Result<()> {
    remove(ws, &r.name).map(|_| ())
}

/// Sync source `name` every `every_hours` hours while the app is open; none: only when asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SourceScheduleRequest {
    pub name: String,
    pub every_hours: Option<u32>,
}

pub fn set_source_schedule(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: SourceScheduleRequest,
) -> Result<sources::Source> {
    sources::set_schedule(ws, &r.name, r.every_hours)
}

/// Start a test or a sync of source `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StartSourceRequest {
    pub name: String,
    pub job: JobKind,
}

/// Starts the job on a thread of its own and answers at once; the page follows it through
/// [`sources`].
pub fn start_source(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: StartSourceRequest,
) -> Result<SourceJob> {
    source_jobs::start(ws, &r.name, r.job)
}

pub fn cancel_source(ws: &mut Workspace, _now: DateTime<Utc>, r: SourceRequest) -> Result<()> {
    source_jobs::cancel(ws, &r.name)
}

/// New credentials for source `name` (a rotated key, a mistyped token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SourceKeysRequest {
    pub name: String,
    pub access_key: String,
    pub secret_key: String,
}

pub fn set_source_keys(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: SourceKeysRequest,
) -> Result<()> {
    save_keys(
        ws,
        &r.name,
        &Keys {
            access_key: r.access_key,
            secret_key: r.secret_key,
        },
    )
}

/// Sync only `scope` of source `name` (in its kind's words); none or empty: everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SourceScopeRequest {
    pub name: String,
    pub scope: Option<String>,
}

pub fn set_source_scope(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: SourceScopeRequest,
) -> Result<sources::Source> {
    sources::set_scope(ws, &r.name, r.scope.as_deref())
}
