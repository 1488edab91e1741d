//! Tenable Vulnerability Management: an export of what changed since the last one, read chunk by
//! chunk. The cursor names the export being read and the chunks already imported, so a killed
//! sync reads the same export on; `since` moves only when an export was read whole.

use serde::{Deserialize, Serialize};

use super::{now_seconds, Keys, Kind, Run, Source, SourceKind};
use crate::error::{Error, Result};
use truce_net::sources::tenable_vm as api;

pub(super) struct TenableVm;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// Unix seconds: what changed since then is asked for; none means everything.
    since: Option<i64>,
    /// An export being read: its id, when it was asked for, the chunks imported.
    export: Option<Export>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Export {
    uuid: String,
    asked_at: i64,
    done: Vec<u32>,
}

/// A full sync asks for everything seen or fixed since this moment (Tenable's exports hold only
/// the last 30 days unless a time is given).
const EVERYTHING_SINCE: i64 = 946_684_800; // 2000-01-01

/// A later export overlaps the one before by this much, so nothing indexed at the boundary is
/// missed; what comes twice changes nothing.
const OVERLAP_SECONDS: i64 = 3600;

fn account<'a>(source: &'a Source, keys: &'a Keys) -> api::Account<'a> {
    api::Account {
        base: &source.url,
        access_key: &keys.access_key,
        secret_key: &keys.secret_key,
        tag: source.scope.as_deref(),
    }
}

impl Kind for TenableVm {
    fn about(&self) -> SourceKind {
        SourceKind {
            name: "tenable-vm",
            label: "Tenable Vulnerability Management",
            url_hint: "https://cloud.tenable.com",
            access: Some("Access key"),
            secret: "Secret key",
            scope: Some("Tag (category=value)"),
        }
    }

    fn check_scope(&self, scope: &str) -> Result<()> {
        match scope.split_once('=') {
            Some((c, v)) if !c.trim().is_empty() && !v.trim().is_empty() => Ok(()),
            _ => Err(Error::Invalid(format!(
                "'{scope}' is not a Tenable tag: write it as category=value (Location=Paris)"
            ))),
        }
    }

    fn check(&self, source: &Source, keys: &Keys, patience: &super::Patience) -> Result<()> {
        api::check(&account(source, keys), patience).map_err(super::net(source))
    }

    fn sync(&self, run: &mut Run<'_>) -> Result<()> {
        let mut c: Cursor = run.cursor()?;
        // A killed sync's export is read on; a full sync asked for now starts afresh.
        let mut export = match c.export.take() {
            Some(e) if !run.full => {
                run.report.resumed = true;
                e
            }
            _ => begin(run, &mut c)?,
        };
        for _ in 0..2 {
            match read(run, &c, &export)? {
                api::Read::Finished => {
                    c.since = Some(export.asked_at - OVERLAP_SECONDS);
                    c.export = None;
                    return run.save_cursor(&c);
                }
                // Expired (an export lives 24 hours) or unknown: ask for the same window again.
                api::Read::Gone => {
                    c.export = None;
                    export = begin(run, &mut c)?;
                }
            }
        }
        Err(Error::Invalid(format!(
            "source '{}': Tenable lost two exports in a row; try again later",
            run.source.name
        )))
    }
}

/// Reads the chunks of `export` not yet imported, noting each in the cursor once imported.
fn read(run: &mut Run<'_>, c: &Cursor, export: &Export) -> Result<api::Read> {
    let (source, keys, patience, step) = (run.source, run.keys, run.patience, run.step);
    let acct = account(source, keys);
    let mut reading = c.clone();
    let mut progress = export.clone();
    api::read(
        &acct,
        &export.uuid,
        &export.done,
        patience,
        step,
        &mut |chunk, bytes| {
            let what = format!("export {} chunk {chunk}", progress.uuid);
            run.import(&what, &bytes, "tenable-vm")
                .map_err(|e| e.to_string())?;
            progress.done.push(chunk);
            reading.export = Some(progress.clone());
            run.save_cursor(&reading).map_err(|e| e.to_string())
        },
    )
    .map_err(super::net(source))
}

/// Asks for a new export of what changed since the cursor (everything when the sync is full)
/// and notes it in the cursor before reading a byte of it.
fn begin(run: &mut Run<'_>, c: &mut Cursor) -> Result<Export> {
    let since = if run.full {
        EVERYTHING_SINCE
    } else {
        c.since.unwrap_or(EVERYTHING_SINCE)
    };
    let asked_at = now_seconds(run.ws);
    let uuid = api::start(&account(run.source, run.keys), since, 1000, run.patience)
        .map_err(run.failed())?;
    let export = Export {
        uuid,
        asked_at,
        done: Vec::new(),
    };
    c.export = Some(export.clone());
    run.save_cursor(c)?;
    Ok(export)
}
