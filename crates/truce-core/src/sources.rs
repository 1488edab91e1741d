//! Sources: the scanners' APIs this laptop syncs findings from, as imports. What a source hands
//! over lands through the same import as a file of its format does (asset identity, rescans,
//! verdicts): a source adds no rules of its own. The network is `truce-net`'s; the credentials are
//! the caller's (the OS keyring), passed in for one sync and never stored here.
//!
//! A sync is resumable: the source's cursor names the export being read and the chunks already
//! imported, each chunk in one transaction. Killed at any point, the next sync reads the same
//! export on (a chunk imported but not yet marked is imported again, which changes nothing: the
//! same bytes are the same import), and the cursor's `since` moves only when an export was read
//! whole, so a failed sync leaves the window to the next.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::Workspace;
use truce_net::sources::tenable_vm;
pub use truce_net::sources::{Patience, Step};

/// The kinds of source this build can sync.
pub const KINDS: &[&str] = &["tenable-vm"];

/// A source as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Source {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub url: String,
    pub last_sync_at: Option<String>,
    pub last_result: Option<String>,
    pub last_problem: Option<String>,
}

/// Where the next sync of a source starts.
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

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct SourceSync {
    pub chunks: u32,
    pub findings: u32,
    pub new: u32,
    pub closed: u32,
    pub reopened: u32,
    /// The export was one a killed sync had begun.
    pub resumed: bool,
}

/// A Tenable account's API keys, as the keyring keeps them for one source.
pub struct Keys {
    pub access_key: String,
    pub secret_key: String,
}

/// A full sync asks for everything seen or fixed since this moment (Tenable's exports hold only
/// the last 30 days unless a time is given).
const EVERYTHING_SINCE: i64 = 946_684_800; // 2000-01-01

/// A later export overlaps the one before by this much, so nothing indexed at the boundary is
/// missed; what comes twice changes nothing.
const OVERLAP_SECONDS: i64 = 3600;

/// Adds a source of `kind` named `name` at `url`.
pub fn add(ws: &mut Workspace, kind: &str, name: &str, url: &str) -> Result<Source> {
    if !KINDS.contains(&kind) {
        return Err(Error::Invalid(format!(
            "'{kind}' is not a kind of source (one of: {})",
            KINDS.join(", ")
        )));
    }
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::Invalid(
            "a source's name is 1 to 100 characters".into(),
        ));
    }
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || url.len() > 2000 {
        return Err(Error::Invalid(format!(
            "'{url}' is not the address of an API (https://…)"
        )));
    }
    let id = crate::ids::new_id();
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    let taken: bool = tx
        .query_row("SELECT 1 FROM sources WHERE name = ?1", [name], |_| {
            Ok(true)
        })
        .optional()?
        .unwrap_or(false);
    if taken {
        return Err(Error::Invalid(format!(
            "there is a source named '{name}' already"
        )));
    }
    tx.execute(
        "INSERT INTO sources (id, kind, name, url, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, kind, name, url, at],
    )?;
    tx.commit()?;
    get(ws, name)
}

const COLUMNS: &str = "id, kind, name, url, last_sync_at, last_result, last_problem";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Source> {
    Ok(Source {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        url: r.get(3)?,
        last_sync_at: r.get(4)?,
        last_result: r.get(5)?,
        last_problem: r.get(6)?,
    })
}

/// Every source, by name.
pub fn list(ws: &Workspace) -> Result<Vec<Source>> {
    let mut stmt = ws
        .conn()
        .prepare(&format!("SELECT {COLUMNS} FROM sources ORDER BY name"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The source named (or with the id) `which`.
pub fn get(ws: &Workspace, which: &str) -> Result<Source> {
    ws.conn()
        .query_row(
            &format!("SELECT {COLUMNS} FROM sources WHERE name = ?1 OR id = ?1"),
            [which.trim()],
            row,
        )
        .optional()?
        .ok_or_else(|| Error::Invalid(format!("no source named '{}'", which.trim())))
}

/// Removes a source (what it imported stays: findings are facts).
pub fn remove(ws: &mut Workspace, which: &str) -> Result<Source> {
    let source = get(ws, which)?;
    let tx = ws.write_tx()?;
    tx.execute("DELETE FROM sources WHERE id = ?1", [&source.id])?;
    tx.commit()?;
    Ok(source)
}

fn account<'a>(source: &'a Source, keys: &'a Keys) -> tenable_vm::Account<'a> {
    tenable_vm::Account {
        base: &source.url,
        access_key: &keys.access_key,
        secret_key: &keys.secret_key,
    }
}

fn net(source: &Source) -> impl Fn(truce_net::Failed) -> Error + '_ {
    move |f| {
        Error::Invalid(format!(
            "source '{}': {}: {}",
            source.name, f.url, f.problem
        ))
    }
}

/// Checks that the source answers and takes the keys.
pub fn check(ws: &Workspace, which: &str, keys: &Keys, patience: &Patience) -> Result<Source> {
    let source = get(ws, which)?;
    tenable_vm::check(&account(&source, keys), patience).map_err(net(&source))?;
    Ok(source)
}

fn cursor(ws: &Workspace, id: &str) -> Result<Cursor> {
    let text: Option<String> =
        ws.conn()
            .query_row("SELECT cursor FROM sources WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

fn save_cursor(ws: &mut Workspace, id: &str, c: &Cursor) -> Result<()> {
    let text = serde_json::to_string(c).expect("a cursor serializes");
    let tx = ws.write_tx()?;
    tx.execute(
        "UPDATE sources SET cursor = ?2 WHERE id = ?1",
        params![id, text],
    )?;
    tx.commit()?;
    Ok(())
}

fn remember(
    ws: &mut Workspace,
    id: &str,
    result: Option<&str>,
    problem: Option<&str>,
) -> Result<()> {
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    match problem {
        None => tx.execute(
            "UPDATE sources SET last_sync_at = ?2, last_result = ?3, last_problem = NULL WHERE id = ?1",
            params![id, at, result],
        )?,
        Some(p) => tx.execute(
            "UPDATE sources SET last_problem = ?2 WHERE id = ?1",
            params![id, format!("{at}: {p}")],
        )?,
    };
    tx.commit()?;
    Ok(())
}

/// Syncs source `which`: what changed since its last sync (everything when `full`, or the first
/// time), chunk by chunk, each imported in one transaction. `step` hears how it goes.
pub fn sync(
    ws: &mut Workspace,
    which: &str,
    keys: &Keys,
    full: bool,
    patience: &Patience,
    step: &dyn Fn(Step),
) -> Result<SourceSync> {
    let source = get(ws, which)?;
    let mut report = SourceSync::default();
    let mut result = sync_source(ws, &source, keys, full, patience, step, &mut report);
    // As after a file's import: once planning is in use, what came in joins its work items,
    // also when the sync stopped midway (what it imported stays).
    if report.chunks > 0 {
        if let Err(e) = crate::planning::grouping::regroup_if_planning(ws) {
            result = result.and(Err(Error::Invalid(format!(
                "source '{}': the findings were imported but did not join work items: {e}",
                source.name
            ))));
        }
    }
    let result = result.map(|()| report);
    let said = match &result {
        Ok(r) => remember(
            ws,
            &source.id,
            Some(&format!(
                "{} chunks, {} findings: {} new, {} fixed, {} reopened",
                r.chunks, r.findings, r.new, r.closed, r.reopened
            )),
            None,
        ),
        Err(e) => remember(ws, &source.id, None, Some(&e.to_string())),
    };
    let report = result?;
    said?;
    Ok(report)
}

fn sync_source(
    ws: &mut Workspace,
    source: &Source,
    keys: &Keys,
    full: bool,
    patience: &Patience,
    step: &dyn Fn(Step),
    report: &mut SourceSync,
) -> Result<()> {
    let acct = account(source, keys);
    let mut c = cursor(ws, &source.id)?;
    // A killed sync's export is read on; a full sync asked for now starts afresh.
    let mut export = match c.export.take() {
        Some(e) if !full => {
            report.resumed = true;
            e
        }
        _ => begin(ws, source, &acct, &mut c, full, patience)?,
    };
    for _ in 0..2 {
        let read = {
            let ws = &mut *ws;
            let report = &mut *report;
            // The cursor as each chunk leaves it: the chunks imported so far noted in the export.
            let mut reading = c.clone();
            let mut progress = export.clone();
            tenable_vm::read(
                &acct,
                &export.uuid,
                &export.done,
                patience,
                step,
                &mut |chunk, bytes| {
                    let name = format!("{} export {} chunk {chunk}", source.name, progress.uuid);
                    let shown = format!("source '{}' ({name})", source.name);
                    let r = crate::ingest::import_page(ws, &shown, &name, &bytes, "tenable-vm")
                        .map_err(|e| e.to_string())?;
                    report.chunks += 1;
                    report.findings += r.findings;
                    report.new += r.new;
                    report.closed += r.closed;
                    report.reopened += r.reopened;
                    progress.done.push(chunk);
                    reading.export = Some(progress.clone());
                    save_cursor(ws, &source.id, &reading).map_err(|e| e.to_string())
                },
            )
            .map_err(net(source))?
        };
        match read {
            tenable_vm::Read::Finished => {
                c.since = Some(export.asked_at - OVERLAP_SECONDS);
                c.export = None;
                save_cursor(ws, &source.id, &c)?;
                return Ok(());
            }
            // Expired (an export lives 24 hours) or unknown: ask for the same window again.
            tenable_vm::Read::Gone => {
                c.export = None;
                export = begin(ws, source, &acct, &mut c, full, patience)?;
            }
        }
    }
    Err(Error::Invalid(format!(
        "source '{}': Tenable lost two exports in a row; try again later",
        source.name
    )))
}

/// Asks for a new export of what changed since the cursor (everything when `full`) and notes it
/// in the cursor before reading a byte of it.
fn begin(
    ws: &mut Workspace,
    source: &Source,
    acct: &tenable_vm::Account,
    c: &mut Cursor,
    full: bool,
    patience: &Patience,
) -> Result<Export> {
    let since = if full {
        EVERYTHING_SINCE
    } else {
        c.since.unwrap_or(EVERYTHING_SINCE)
    };
    let now: DateTime<Utc> = ws.now();
    let uuid = tenable_vm::start(acct, since, 1000, patience).map_err(net(source))?;
    let export = Export {
        uuid,
        asked_at: now.timestamp(),
        done: Vec::new(),
    };
    c.export = Some(export.clone());
    save_cursor(ws, &source.id, c)?;
    Ok(export)
}
