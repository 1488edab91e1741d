//! This laptop's side of a team hub: the operations it pushes are the change log's own records
//! of changes made here (this device), in the order they were made; the hub acknowledges a batch
//! and the laptop remembers how far it got (`hub.pushed_seq`), so a push after a cut connection
//! sends again only what was not acknowledged, and the hub ignores what it already has.
//!
//! Pulling others' operations and merging them is the next step (issue 13).

use rusqlite::types::ValueRef;
use rusqlite::OptionalExtension;
use serde_json::Value;
use truce_sync::Op;

use crate::error::{Error, Result};
use crate::Workspace;

/// How many operations go to the hub in one request.
pub const PUSH_BATCH: usize = 5_000;

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

/// How many operations made here the hub has not acknowledged yet.
pub fn waiting(ws: &Workspace) -> Result<u64> {
    Ok(ws.conn().query_row(
        "SELECT count(*) FROM change_log
         WHERE seq > coalesce((SELECT pushed_seq FROM hub), 0)
           AND device = (SELECT id FROM device) AND note = 0",
        [],
        |r| r.get(0),
    )?)
}

/// Sends the operations made here that the hub has not acknowledged, in batches, in the order
/// they were made, as the device `token` names (the hub's admin issued it for this laptop); each
/// acknowledged batch moves the laptop's mark.
pub fn push(ws: &mut Workspace, token: &str) -> Result<PushReport> {
    let url = hub_url(ws)?.ok_or_else(|| {
        Error::Invalid("this workspace is not connected to a hub (truce hub connect URL)".into())
    })?;
    let workspace: String = ws
        .conn()
        .query_row("SELECT id FROM workspace", [], |r| r.get(0))?;
    let mut report = PushReport {
        sent: 0,
        duplicates: 0,
    };
    loop {
        let (ops, last) = outgoing(ws, PUSH_BATCH)?;
        if ops.is_empty() {
            return Ok(report);
        }
        let pushed =
            truce_net::hub::push(&url, token, &workspace, &ops).map_err(|f| Error::Hub {
                url: f.url,
                problem: f.problem,
            })?;
        let tx = ws.write_tx()?;
        tx.execute("UPDATE hub SET pushed_seq = max(pushed_seq, ?1)", [last])?;
        tx.commit()?;
        report.sent += ops.len() as u64;
        report.duplicates += pushed.duplicates;
    }
}

/// Up to `limit` operations made here after the hub's acknowledged mark, and the log position of
/// the last one.
fn outgoing(ws: &Workspace, limit: usize) -> Result<(Vec<Op>, i64)> {
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
