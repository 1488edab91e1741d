//! Merging what other laptops did: a page of operations pulled from the hub, applied in one
//! transaction with the laptop's cursor, so a kill half-way leaves the page unapplied and the
//! cursor where it was.
//!
//! The rule is the same on every laptop, whatever order things arrive in, so every laptop ends
//! with the same rows: per field, the change with the later clock wins (hybrid logical clock,
//! then device id to break a tie). A row's creation sets every field at its clock; a deletion is
//! a tombstone that an older creation does not bring back. Every pulled operation is kept in the
//! change log as it was made (its device, actor, clock, the hub's number); one that lost to a
//! later change is kept too, marked lost, so histories show everything anyone did. When a
//! pulled change to a field people edit was made without seeing the value it replaces or loses
//! to, the two are kept as a conflict for a person to settle (`conflicts`).

use std::collections::HashMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::Value;
use truce_sync::Stored;

use crate::changes::{self, Ctx, RowChange, RECORDED};
use crate::error::{Error, Result};

/// What merging one page did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Merged {
    /// Operations made on other laptops that changed something here.
    #[ts(type = "number")]
    pub applied: u64,
    /// Operations that arrived after a later change to the same field, or for a row deleted
    /// since: kept in the history, changing nothing.
    #[ts(type = "number")]
    pub lost: u64,
    /// Operations this laptop made itself (already applied when they were made).
    #[ts(type = "number")]
    pub own: u64,
    /// Operations at or before the laptop's cursor: a page delivered again, merged before.
    #[ts(type = "number")]
    pub duplicates: u64,
    /// Operations the schema refused here (a row they need is gone): kept in the history.
    #[ts(type = "number")]
    pub refused: u64,
    /// Conflicts found: two changes to a field made without seeing each other.
    #[ts(type = "number")]
    pub conflicts: u64,
    /// Whether scanner facts or the rules that group them changed (the caller regroups).
    pub facts_changed: bool,
}

/// Entities whose rows scanners write: merged by the same rule, but never a conflict for a
/// person to settle (two imports disagreeing on when a finding was last seen is not a decision).
const FACTS: &[&str] = &[
    "finding",
    "vulnerability",
    "vulnerability_cve",
    "asset_identifier",
    "import_scope",
    "kev_entry",
    "kev_source",
    "import",
];

/// Fields every edit touches: two edits of different fields of an item are no conflict.
const BOOKKEEPING: &[&str] = &["updated_at", "created_at"];

/// Entities whose change makes the findings' grouping stale.
const REGROUP_AFTER: &[&str] = &[
    "finding",
    "asset",
    "asset_tag",
    "grouping_rule",
    "ownership_rule",
];

/// A change's place in the order of all changes: its clock, then its device.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Clock {
    hlc: i64,
    device: String,
}

/// The clock of the record that last set a field, and that record's place in the log.
#[derive(Debug, Clone)]
struct Setter {
    clock: Clock,
    seq: i64,
}

/// A table's shape, read once per page.
pub(super) struct Shape {
    table: &'static str,
    pub(super) columns: Vec<String>,
    key: Vec<String>,
}

/// Applies one page of pulled operations (`ops`, in the hub's order) in `tx`, which the caller
/// commits with the cursor. `me` is this laptop's device id.
pub(crate) fn page(tx: &Transaction<'_>, ctx: &Ctx, me: &str, ops: &[Stored]) -> Result<Merged> {
    catch_up(tx)?;
    let mut shapes: HashMap<String, Shape> = HashMap::new();
    let mut merged = Merged::default();
    let cursor: i64 = tx.query_row("SELECT pulled_seq FROM hub", [], |r| r.get(0))?;
    for stored in ops {
        if stored.seq <= cursor {
            merged.duplicates += 1;
            continue;
        }
        if stored.op.device == me {
            merged.own += 1;
            continue;
        }
        if !shapes.contains_key(&stored.op.entity) {
            let shape = shape(tx, stored)?;
            shapes.insert(stored.op.entity.clone(), shape);
        }
        let shape = &shapes[&stored.op.entity];
        let outcome = one(tx, ctx, shape, stored)?;
        match outcome {
            Outcome::Applied => merged.applied += 1,
            Outcome::Lost => merged.lost += 1,
            Outcome::Refused => merged.refused += 1,
        }
        if outcome == Outcome::Applied && REGROUP_AFTER.contains(&stored.op.entity.as_str()) {
            merged.facts_changed = true;
        }
    }
    merged.conflicts = tx.query_row(
        "SELECT count(*) FROM sync_conflicts WHERE other_seq > (SELECT clocked_seq FROM hub)
            OR kept_seq > (SELECT clocked_seq FROM hub)",
        [],
        |r| r.get(0),
    )?;
    clocked(tx)?;
    Ok(merged)
}

/// Brings `field_clocks` up to date with the records the log gained since the last merge (this
/// laptop's own changes): one statement, in log order.
pub(crate) fn catch_up(tx: &Transaction<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO field_clocks (entity, entity_id, field, hlc, device, seq)
         SELECT entity, entity_id, field, hlc, device, seq FROM change_log
         WHERE seq > (SELECT clocked_seq FROM hub) AND note = 0 AND lost = 0 ORDER BY seq
         ON CONFLICT (entity, entity_id, field) DO UPDATE
            SET hlc = excluded.hlc, device = excluded.device, seq = excluded.seq
            WHERE excluded.hlc > field_clocks.hlc
               OR (excluded.hlc = field_clocks.hlc AND excluded.device > field_clocks.device)",
        [],
    )?;
    clocked(tx)?;
    Ok(())
}

/// Every record of the log so far is reflected in `field_clocks`.
fn clocked(tx: &Transaction<'_>) -> Result<()> {
    tx.execute(
        "UPDATE hub SET clocked_seq = (SELECT coalesce(max(seq), 0) FROM change_log)",
        [],
    )?;
    Ok(())
}

fn shape(tx: &Transaction<'_>, stored: &Stored) -> Result<Shape> {
    shape_of(tx, &stored.op.entity)?
        .ok_or_else(|| unknown(stored, &format!("'{}'", stored.op.entity)))
}

/// The table behind a recorded entity, its columns and key; none for an entity Truce does not
/// record.
pub(super) fn shape_of(conn: &Connection, entity: &str) -> Result<Option<Shape>> {
    let Some((table, _)) = RECORDED.iter().find(|(_, e)| *e == entity) else {
        return Ok(None);
    };
    let (columns, key) = changes::columns(conn, table)?;
    Ok(Some(Shape {
        table,
        columns,
        key,
    }))
}

/// A pulled operation this build cannot apply: the cursor stays, nothing is lost, and the
/// person learns what to do.
fn unknown(stored: &Stored, what: &str) -> Error {
    Error::Invalid(format!(
        "the hub's operation {} (from device {}) changes {what}, which this version of Truce does \
         not know: update Truce on this laptop to sync",
        stored.seq, stored.op.device
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Applied,
    Lost,
    Refused,
}

fn one(tx: &Transaction<'_>, ctx: &Ctx, shape: &Shape, stored: &Stored) -> Result<Outcome> {
    let op = &stored.op;
    let theirs = Clock {
        hlc: op.hlc,
        device: op.device.clone(),
    };
    let key = key_values(shape, stored)?;
    match op.field.as_str() {
        "created" => created(tx, ctx, shape, stored, &theirs, &key),
        "deleted" => {
            let tomb = setter(tx, op, "deleted")?;
            let born = setter(tx, op, "created")?;
            let exists = current(tx, shape, &shape.key[0], &key)?.is_some();
            let applies = exists && born.as_ref().is_none_or(|b| theirs > b.clock);
            let outcome = if applies {
                apply(tx, ctx, stored, &op.field, None)?
            } else {
                Outcome::Lost
            };
            let seq = log(tx, stored, outcome != Outcome::Applied)?;
            if tomb.is_none_or(|t| theirs > t.clock) {
                set_clock(tx, op, "deleted", &theirs, seq)?;
            }
            Ok(outcome)
        }
        field => {
            if !shape.columns.iter().any(|c| c == field) {
                return Err(unknown(
                    stored,
                    &format!("the field '{}.{field}'", op.entity),
                ));
            }
            let Some(now) = current(tx, shape, field, &key)? else {
                // The row was deleted here (or never reached this laptop): a tombstone wins.
                log(tx, stored, true)?;
                return Ok(Outcome::Lost);
            };
            let last = setter(tx, op, field)?;
            let born = setter(tx, op, "created")?;
            let base = match (&last, &born) {
                (Some(l), Some(b)) => Some(l.clock.clone().max(b.clock.clone())),
                (l, b) => l.as_ref().or(b.as_ref()).map(|s| s.clock.clone()),
            };
            let wins = base.is_none_or(|b| theirs > b);
            let outcome = if wins {
                apply(
                    tx,
                    ctx,
                    stored,
                    field,
                    Some(changes::json_value(op.new_value.clone())),
                )?
            } else {
                Outcome::Lost
            };
            let seq = log(tx, stored, outcome != Outcome::Applied)?;
            if outcome == Outcome::Applied {
                set_clock(tx, op, field, &theirs, seq)?;
            }
            if let Some(last) = last {
                let crossed = last.clock.device != op.device
                    && changes::sql_json(&now) != op.old_value
                    && changes::sql_json(&now) != op.new_value;
                if crossed && people_edit(&op.entity, field) {
                    let (kept, other) = if outcome == Outcome::Applied {
                        (seq, last.seq)
                    } else {
                        (last.seq, seq)
                    };
                    conflict(tx, op, kept, other)?;
                }
            }
            Ok(outcome)
        }
    }
}

/// A row created on another laptop: inserted when it is new here, else merged field by field
/// (the same scanner fact made on two laptops has the same id, `ids::derived`).
fn created(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    shape: &Shape,
    stored: &Stored,
    theirs: &Clock,
    key: &[SqlValue],
) -> Result<Outcome> {
    let op = &stored.op;
    if setter(tx, op, "deleted")?.is_some_and(|t| t.clock > *theirs) {
        log(tx, stored, true)?;
        return Ok(Outcome::Lost);
    }
    let exists = current(tx, shape, &shape.key[0], key)?.is_some();
    if !exists {
        let outcome = apply(tx, ctx, stored, "created", None)?;
        let seq = log(tx, stored, outcome != Outcome::Applied)?;
        let born = setter(tx, op, "created")?;
        if outcome == Outcome::Applied && born.is_none_or(|b| *theirs > b.clock) {
            set_clock(tx, op, "created", theirs, seq)?;
        }
        return Ok(outcome);
    }
    // Kept whole for history, marked lost: what it changed is logged field by field below, so
    // a replay of the log gives these rows. Its clock is the row's creation from now on when
    // later: a deletion older than this creation, arriving next, must not remove the row here
    // when it does not where the creations arrived the other way round.
    let whole = log(tx, stored, true)?;
    let Value::String(text) = &op.new_value else {
        return Err(Error::Invalid(format!(
            "the hub's operation {} creates a {} without its values",
            stored.seq, op.entity
        )));
    };
    let values: Vec<Value> = serde_json::from_str(text).map_err(|e| {
        Error::Invalid(format!(
            "the hub's operation {} holds a {} row that is not a JSON array: {e}",
            stored.seq, op.entity
        ))
    })?;
    let born = setter(tx, op, "created")?;
    if born.as_ref().is_none_or(|b| *theirs > b.clock) {
        set_clock(tx, op, "created", theirs, whole)?;
    }
    let mut outcome = Outcome::Lost;
    for (column, value) in shape.columns.iter().zip(values) {
        if shape.key.contains(column) {
            continue;
        }
        let Some(now) = current(tx, shape, column, key)? else {
            break;
        };
        if changes::sql_json(&now) == value {
            continue;
        }
        let last = setter(tx, op, column)?;
        let base = [last, born.clone()]
            .into_iter()
            .flatten()
            .map(|s| s.clock)
            .max();
        if base.is_some_and(|b| b > *theirs) {
            continue;
        }
        let field_op = truce_sync::Stored {
            seq: stored.seq,
            op: truce_sync::Op {
                field: column.clone(),
                old_value: changes::sql_json(&now),
                new_value: value.clone(),
                ..op.clone()
            },
        };
        if apply(tx, ctx, &field_op, column, Some(changes::json_value(value)))? == Outcome::Applied
        {
            let seq = log(tx, &field_op, false)?;
            set_clock(tx, op, column, theirs, seq)?;
            outcome = Outcome::Applied;
        }
    }
    Ok(outcome)
}

/// Applies one change to its row with the recording triggers quiet (the caller logs it as it
/// was made). A change the schema refuses here (a foreign key to a row deleted since, a check)
/// is refused alone, not the page.
fn apply(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    stored: &Stored,
    field: &str,
    new: Option<SqlValue>,
) -> Result<Outcome> {
    let op = &stored.op;
    let change = RowChange {
        entity: op.entity.clone(),
        entity_id: op.entity_id.clone(),
        field: field.to_string(),
        old: SqlValue::Null,
        new: new.unwrap_or_else(|| changes::json_value(op.new_value.clone())),
    };
    let result = ctx.quietly(|| changes::replay(tx, std::slice::from_ref(&change)));
    match result {
        Ok(()) => Ok(Outcome::Applied),
        Err(Error::Db(rusqlite::Error::SqliteFailure(e, _)))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(Outcome::Refused)
        }
        Err(e) => Err(e),
    }
}

/// Keeps a pulled operation in the log as it was made; its place in the log.
fn log(tx: &Transaction<'_>, stored: &Stored, lost: bool) -> Result<i64> {
    let op = &stored.op;
    tx.prepare_cached(
        "INSERT INTO change_log (entity, entity_id, field, old_value, new_value, actor, device, hlc, at, reason, hub_seq, lost)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        op.entity,
        op.entity_id,
        op.field,
        changes::json_value(op.old_value.clone()),
        changes::json_value(op.new_value.clone()),
        op.actor,
        op.device,
        op.hlc,
        op.at,
        op.reason,
        stored.seq,
        lost as i64,
    ])?;
    Ok(tx.last_insert_rowid())
}

fn setter(tx: &Transaction<'_>, op: &truce_sync::Op, field: &str) -> Result<Option<Setter>> {
    Ok(tx
        .prepare_cached(
            "SELECT hlc, device, seq FROM field_clocks WHERE entity = ?1 AND entity_id = ?2 AND field = ?3",
        )?
        .query_row(params![op.entity, op.entity_id, field], |r| {
            Ok(Setter {
                clock: Clock {
                    hlc: r.get(0)?,
                    device: r.get(1)?,
                },
                seq: r.get(2)?,
            })
        })
        .optional()?)
}

fn set_clock(
    tx: &Transaction<'_>,
    op: &truce_sync::Op,
    field: &str,
    clock: &Clock,
    seq: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO field_clocks (entity, entity_id, field, hlc, device, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        op.entity,
        op.entity_id,
        field,
        clock.hlc,
        clock.device,
        seq
    ])?;
    Ok(())
}

fn conflict(tx: &Transaction<'_>, op: &truce_sync::Op, kept: i64, other: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_conflicts (entity, entity_id, field, kept_seq, other_seq, found_at)
         VALUES (?1, ?2, ?3, ?4, ?5, truce_at())",
    )?
    .execute(params![op.entity, op.entity_id, op.field, kept, other])?;
    Ok(())
}

fn people_edit(entity: &str, field: &str) -> bool {
    !FACTS.contains(&entity) && !BOOKKEEPING.contains(&field)
}

/// The key of the row an operation names, as SQL values in key order.
fn key_values(shape: &Shape, stored: &Stored) -> Result<Vec<SqlValue>> {
    key_of(shape, &stored.op.entity_id).map_err(|problem| {
        Error::Invalid(format!(
            "the hub's operation {} names a {} {problem}",
            stored.seq, stored.op.entity
        ))
    })
}

/// An entity id as the key of `shape`'s rows: the id itself, or a composite key's JSON array;
/// the problem when it is neither.
pub(super) fn key_of(shape: &Shape, id: &str) -> std::result::Result<Vec<SqlValue>, String> {
    if shape.key.len() == 1 {
        return Ok(vec![SqlValue::Text(id.to_string())]);
    }
    let parts: Vec<Value> =
        serde_json::from_str(id).map_err(|e| format!("by '{id}', which is not its key: {e}"))?;
    if parts.len() != shape.key.len() {
        return Err(format!(
            "by {} values; its key has {}",
            parts.len(),
            shape.key.len()
        ));
    }
    Ok(parts.into_iter().map(changes::json_value).collect())
}

/// A column's value in the row with `key`, or none when there is no such row.
pub(super) fn current(
    tx: &Connection,
    shape: &Shape,
    column: &str,
    key: &[SqlValue],
) -> Result<Option<SqlValue>> {
    let sql = format!(
        "SELECT \"{column}\" FROM {} WHERE {}",
        shape.table,
        shape
            .key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("\"{k}\" = ?{}", i + 1))
            .collect::<Vec<_>>()
            .join(" AND ")
    );
    Ok(tx
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(key), |r| r.get::<_, SqlValue>(0))
        .optional()?)
}
