//! This laptop's side of a team hub: the operations it pushes are the change log's own records
//! of changes made here (this device), in the order they were made; the hub acknowledges a batch
//! and the laptop remembers how far it got (`hub.pushed_seq`), so a push after a cut connection
//! sends again only what was not acknowledged, and the hub ignores what it already has.
//!
//! Pulling brings everyone's operations after the laptop's cursor, a page at a time; each page
//! is merged (`merge`) in one transaction with the cursor, so a kill mid-sync loses nothing and
//! repeats nothing. Conflicts the merge finds wait for a person (`conflicts`).

pub mod conflicts;
mod merge;
pub mod snapshot;

pub use conflicts::{conflicts, resolve, Conflict, Side};
pub use merge::Merged;

use rusqlite::types::ValueRef;
use rusqlite::OptionalExtension;
use serde_json::Value;
pub use truce_sync::{Op, Stored};

use crate::error::{Error, Result};
use crate::Workspace;

/// How many operations go to the hub in one request.
pub const PUSH_BATCH: usize = 5_000;

/// How many operations are asked for, and merged in one transaction, at a time.
pub const PULL_PAGE: i64 = 5_000;

/// What a sync did: sent, then received and merged.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct SyncReport {
    #[ts(type = "number")]
    pub pushed: u64,
    pub merged: Merged,
    /// Pages pulled.
    #[ts(type = "number")]
    pub pages: u64,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    /// Operations sent to the hub.
    pub sent: u64,
    /// Of those, the ones the hub already had (a retry, a batch delivered twice).
    pub duplicates: u64,
}

/// Connects this workspace to the hub at `url` (it keeps how far it has synced with the same
/// hub; another URL starts again from the beginning).
pub fn connect(ws: &mut Workspace, url: &str) -> Result<()> {
    let url = url.trim().trim_end_matches('/');
    let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
    if !url.contains("://") || !matches!(scheme.as_str(), "http" | "https") {
        return Err(Error::Invalid(format!(
            "'{url}' is not a hub address (http:// or https://)"
        )));
    }
    let tx = ws.write_tx()?;
    let same: bool = tx
        .query_row("SELECT url = ?1 FROM hub", [url], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    if !same {
        tx.execute(
            "INSERT OR REPLACE INTO hub (only_row, url, pushed_seq, pulled_seq) VALUES (1, ?1, 0, 0)",
            [url],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The hub this workspace is connected to, if any.
pub fn hub_url(ws: &Workspace) -> Result<Option<String>> {
    Ok(ws
        .conn()
        .query_row("SELECT url FROM hub", [], |r| r.get(0))
        .optional()?)
}

/// What the hub's admin needs to let this laptop in: the workspace's id and this device's id.
pub fn identity(ws: &Workspace) -> Result<(String, String)> {
    Ok(ws.conn().query_row(
        "SELECT (SELECT id FROM workspace), (SELECT id FROM device)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// A workspace's sync state at a glance.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct HubStatus {
    /// The hub it is connected to, if any.
    pub url: Option<String>,
    /// What the hub's admin needs to let this laptop in.
    pub workspace_id: String,
    pub device_id: String,
    /// Changes made here the hub has not acknowledged.
    #[ts(type = "number")]
    pub waiting: u64,
    /// Conflicts waiting for a person.
    pub conflicts: u32,
    /// When the last sync succeeded; when the last one failed, and why.
    pub last_sync_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_problem: Option<String>,
}

/// This workspace's sync state.
pub fn status(ws: &Workspace) -> Result<HubStatus> {
    let (workspace_id, device_id) = identity(ws)?;
    let row: Option<(String, Option<String>, Option<String>, Option<String>)> = ws
        .conn()
        .query_row(
            "SELECT url, last_sync_at, last_attempt_at, last_problem FROM hub",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (url, last_sync_at, last_attempt_at, last_problem) = match row {
        Some((u, s, a, p)) => (Some(u), s, a, p),
        None => (None, None, None, None),
    };
    Ok(HubStatus {
        url,
        workspace_id,
        device_id,
        waiting: waiting(ws)?,
        conflicts: conflicts(ws, None)?.len() as u32,
        last_sync_at,
        last_attempt_at,
        last_problem,
    })
}

/// How many operations made here the hub has not acknowledged yet.
pub fn waiting(ws: &Workspace) -> Result<u64> {
    Ok(ws.conn().query_row(WAITING, [], |r| r.get(0))?)
}

/// Counts the changes made on this device that the hub has not acknowledged.
const WAITING: &str = "SELECT count(*) FROM change_log
     WHERE seq > coalesce((SELECT pushed_seq FROM hub), 0)
       AND device = (SELECT id FROM device) AND note = 0";

/// How a sync reaches the workspace: only for its short steps (reading what to send, marking
/// what the hub took, merging one page), never while it waits on the network, so a window that
/// shares the workspace keeps working while a sync runs.
pub trait Reach {
    fn reach<T>(&self, step: &mut dyn FnMut(&mut Workspace) -> Result<T>) -> Result<T>;
}

/// A workspace nobody else uses meanwhile (the CLI).
struct Alone<'a>(std::cell::RefCell<&'a mut Workspace>);

impl Reach for Alone<'_> {
    fn reach<T>(&self, step: &mut dyn FnMut(&mut Workspace) -> Result<T>) -> Result<T> {
        step(&mut self.0.borrow_mut())
    }
}

fn hub_error(f: truce_net::Failed) -> Error {
    Error::Hub {
        url: f.url,
        problem: f.problem,
    }
}

/// Sends the operations made here that the hub has not acknowledged, in batches, in the order
/// they were made, as the device `token` names (the hub's admin issued it for this laptop); each
/// acknowledged batch moves the laptop's mark.
pub fn push(ws: &mut Workspace, token: &str) -> Result<PushReport> {
    push_shared(&Alone(std::cell::RefCell::new(ws)), token)
}

/// [`push`], reaching the workspace only between network calls.
pub fn push_shared(ws: &impl Reach, token: &str) -> Result<PushReport> {
    let (url, workspace) = ws.reach(&mut |ws| connected(ws))?;
    let mut report = PushReport {
        sent: 0,
        duplicates: 0,
    };
    loop {
        let (ops, last) = ws.reach(&mut |ws| unsent(ws, PUSH_BATCH))?;
        if ops.is_empty() {
            return Ok(report);
        }
        let pushed = truce_net::hub::push(&url, token, &workspace, &ops).map_err(hub_error)?;
        ws.reach(&mut |ws| acknowledged(ws, last))?;
        report.sent += ops.len() as u64;
        report.duplicates += pushed.duplicates;
    }
}

/// Pulls what the hub holds after this laptop's cursor and merges it, a page per transaction;
/// regroups the findings when scanner facts or grouping rules came in.
pub fn pull(ws: &mut Workspace, token: &str) -> Result<SyncReport> {
    pull_shared(&Alone(std::cell::RefCell::new(ws)), token)
}

/// [`pull`], reaching the workspace only to read the cursor and to merge each page.
pub fn pull_shared(ws: &impl Reach, token: &str) -> Result<SyncReport> {
    let (url, workspace) = ws.reach(&mut |ws| connected(ws))?;
    let mut report = SyncReport::default();
    loop {
        let after: i64 = ws.reach(&mut |ws| {
            Ok(ws
                .conn()
                .query_row("SELECT pulled_seq FROM hub", [], |r| r.get(0))?)
        })?;
        let page =
            truce_net::hub::pull(&url, token, &workspace, after, PULL_PAGE).map_err(hub_error)?;
        if page.ops.is_empty() {
            break;
        }
        let merged = ws.reach(&mut |ws| merge(ws, &page.ops, page.next))?;
        report.pages += 1;
        add(&mut report.merged, &merged);
    }
    ws.reach(&mut |ws| settle(ws, &report.merged))?;
    Ok(report)
}

/// What follows merging: the findings that came in are filed into work items (their
/// memberships are the grouping rules applied here, never shipped).
/// Also when an earlier sync merged them and was stopped before it regrouped (`hub.regroup_due`).
pub fn settle(ws: &mut Workspace, merged: &Merged) -> Result<()> {
    let due: bool = ws
        .conn()
        .query_row("SELECT regroup_due FROM hub", [], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    if merged.facts_changed || due {
        crate::planning::grouping::regroup_if_planning(ws)?;
        let tx = ws.write_tx()?;
        tx.execute("UPDATE hub SET regroup_due = 0", [])?;
        tx.commit()?;
    }
    Ok(())
}

/// Pushes what was made here, then pulls and merges everyone's.
pub fn sync(ws: &mut Workspace, token: &str) -> Result<SyncReport> {
    sync_shared(&Alone(std::cell::RefCell::new(ws)), token)
}

/// [`sync`] of a workspace others use meanwhile; records when it ended and how.
pub fn sync_shared(ws: &impl Reach, token: &str) -> Result<SyncReport> {
    let result = (|| {
        let pushed = push_shared(ws, token)?;
        let mut report = pull_shared(ws, token)?;
        report.pushed = pushed.sent;
        Ok(report)
    })();
    let outcome = result.as_ref().err().map(|e: &Error| e.to_string());
    let remembered = ws.reach(&mut |ws| remember(ws, outcome.as_deref()));
    // The sync's own failure says more than a failure to note it.
    let report = result?;
    remembered?;
    Ok(report)
}

/// When this laptop last synced with its hub, and the problem if it failed.
fn remember(ws: &mut Workspace, problem: Option<&str>) -> Result<()> {
    let tx = ws.write_tx()?;
    let now = crate::changes::now(&tx)?;
    match problem {
        None => tx.execute(
            "UPDATE hub SET last_sync_at = ?1, last_problem = NULL",
            [&now],
        )?,
        Some(p) => tx.execute(
            "UPDATE hub SET last_attempt_at = ?1, last_problem = ?2",
            [&now, p],
        )?,
    };
    tx.commit()?;
    Ok(())
}

/// Merges one page of operations in the hub's order (`ops`, numbered up to `next`) and moves
/// the cursor to `next`, in one transaction. The hub's client calls it for each page pulled;
/// tests deliver pages with it directly.
pub fn merge(ws: &mut Workspace, ops: &[Stored], next: i64) -> Result<Merged> {
    let me = crate::device::device_id(ws.conn())?;
    let ctx = ws.ctx().clone();
    let highest = ops.iter().map(|s| s.op.hlc).max().unwrap_or(0);
    let tx = ws.write_tx()?;
    let merged = merge::page(&tx, &ctx, &me, ops)?;
    tx.execute(
        "UPDATE hub SET pulled_seq = max(pulled_seq, ?1), seen_hlc = max(seen_hlc, ?2),
                        regroup_due = regroup_due OR ?3",
        [next, highest, merged.facts_changed as i64],
    )?;
    tx.commit()?;
    // A change made here from now on is later than everything seen.
    ctx.observe(highest);
    Ok(merged)
}

fn add(total: &mut Merged, page: &Merged) {
    total.applied += page.applied;
    total.lost += page.lost;
    total.own += page.own;
    total.duplicates += page.duplicates;
    total.refused += page.refused;
    total.conflicts += page.conflicts;
    total.facts_changed |= page.facts_changed;
}

/// The hub's address and this workspace's id, or the error that says how to connect.
fn connected(ws: &Workspace) -> Result<(String, String)> {
    let url = hub_url(ws)?.ok_or_else(|| {
        Error::Invalid("this workspace is not connected to a hub (truce hub connect URL)".into())
    })?;
    let workspace: String = ws
        .conn()
        .query_row("SELECT id FROM workspace", [], |r| r.get(0))?;
    Ok((url, workspace))
}

/// Makes this new, empty workspace a copy of the hub's workspace `workspace_id`: it takes that
/// workspace's id (the namespace of every derived id, so the same scan gives the same ids here
/// as everywhere), then connects to the hub at `url`. The next pull brings everything.
pub fn join(ws: &mut Workspace, url: &str, workspace_id: &str) -> Result<()> {
    let id = workspace_uuid(workspace_id)?;
    refuse_own_changes(ws)?;
    {
        let tx = ws.write_tx()?;
        tx.execute("UPDATE workspace SET id = ?1", [&id])?;
        tx.commit()?;
    }
    connect(ws, url)
}

/// A workspace id as given (a UUID), in its usual spelling.
fn workspace_uuid(given: &str) -> Result<String> {
    uuid::Uuid::parse_str(given.trim())
        .map(|u| u.to_string())
        .map_err(|e| Error::Invalid(format!("'{given}' is not a workspace id (a UUID): {e}")))
}

/// Only a new, empty workspace joins a hub's: one with changes of its own would mix two plans.
fn refuse_own_changes(ws: &Workspace) -> Result<()> {
    let made: i64 =
        ws.conn()
            .query_row("SELECT count(*) FROM change_log WHERE note = 0", [], |r| {
                r.get(0)
            })?;
    if made > 0 {
        return Err(Error::Invalid(format!(
            "this workspace already holds {made} changes of its own: join a hub's workspace \
             from a new, empty one"
        )));
    }
    Ok(())
}

/// The hub has stored everything made here up to the log's record `last`.
pub fn acknowledged(ws: &mut Workspace, last: i64) -> Result<()> {
    let tx = ws.write_tx()?;
    tx.execute("UPDATE hub SET pushed_seq = max(pushed_seq, ?1)", [last])?;
    tx.commit()?;
    Ok(())
}

/// Up to `limit` operations made here after the hub's acknowledged mark, and the log position of
/// the last one: what a push sends next.
pub fn unsent(ws: &Workspace, limit: usize) -> Result<(Vec<Op>, i64)> {
    let mut stmt = ws.conn().prepare(
        "SELECT seq, device, hlc, actor, entity, entity_id, field, old_value, new_value, at, reason
         FROM change_log
         WHERE seq > coalesce((SELECT pushed_seq FROM hub), 0)
           AND device = (SELECT id FROM device) AND note = 0
         ORDER BY seq LIMIT ?1",
    )?;
    let mut last = 0;
    let mut ops = Vec::new();
    let mut rows = stmt.query([limit as i64])?;
    while let Some(r) = rows.next()? {
        last = r.get(0)?;
        ops.push(Op {
            device: r.get(1)?,
            hlc: r.get(2)?,
            actor: r.get(3)?,
            entity: r.get(4)?,
            entity_id: r.get(5)?,
            field: r.get(6)?,
            old_value: json(r.get_ref(7)?, last)?,
            new_value: json(r.get_ref(8)?, last)?,
            at: r.get(9)?,
            reason: r.get(10)?,
        });
    }
    Ok((ops, last))
}

/// A recorded value as JSON, its type kept (an integer stays an integer).
fn json(v: ValueRef<'_>, seq: i64) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => Value::from(f),
        ValueRef::Text(t) => Value::String(String::from_utf8(t.to_vec()).map_err(|e| {
            Error::Invalid(format!(
                "change log record {seq} holds text that is not UTF-8: {e}"
            ))
        })?),
        ValueRef::Blob(_) => {
            return Err(Error::Invalid(format!(
                "change log record {seq} holds bytes, which no recorded field should"
            )))
        }
    })
}
