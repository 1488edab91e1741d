//! Conflicts: two changes to one field people edit, made on two laptops without seeing each
//! other (one person moved the item to Tuesday's window while another moved it to Thursday's).
//! The merge keeps the later one and sets the other aside; both wait here until a person picks
//! one. The pick is an ordinary recorded change of the field, so it syncs like any other and
//! settles the conflict on every laptop: a conflict is open while no change to its field is later
//! than both of its sides.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, OptionalExtension};
use serde_json::Value;

use crate::changes::{self, RowChange};
use crate::error::{Error, Result};
use crate::Workspace;

/// One side of a conflict: the value and who set it, where and when.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "SyncChange")]
pub struct Change {
    #[ts(type = "unknown")]
    pub value: Value,
    /// The value in people's words, when it names a row (a person, a team, a window by its id).
    pub label: Option<String>,
    /// The actor's id as recorded (a person's id, or an OS user).
    pub actor: String,
    /// Their name, when the actor is a person of this workspace.
    pub actor_name: Option<String>,
    pub device: String,
    pub at: String,
}

/// An open conflict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "SyncConflict")]
pub struct Conflict {
    #[ts(type = "number")]
    pub id: i64,
    pub entity: String,
    pub entity_id: String,
    /// The row in people's words (the item's title, the window's or person's name), when it has one.
    pub subject: Option<String>,
    pub field: String,
    /// The value the workspace holds now (the later clock).
    pub kept: Change,
    /// The value set aside.
    pub other: Change,
    pub found_at: String,
}

/// Which side a person picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(rename = "ConflictSide")]
pub enum Side {
    Kept,
    Other,
}

const OPEN: &str = "
    SELECT c.id, c.entity, c.entity_id, c.field, c.found_at,
           k.new_value, k.actor, (SELECT name FROM people WHERE id = k.actor), k.device, k.at,
           o.new_value, o.actor, (SELECT name FROM people WHERE id = o.actor), o.device, o.at
    FROM sync_conflicts c
    JOIN change_log k ON k.seq = c.kept_seq
    JOIN change_log o ON o.seq = c.other_seq
    WHERE NOT EXISTS (
        SELECT 1 FROM change_log l
        WHERE l.entity = c.entity AND l.entity_id = c.entity_id AND l.field = c.field
          AND l.note = 0 AND l.lost = 0 AND l.hlc > max(k.hlc, o.hlc) AND {history})";

/// The open conflicts, oldest first; of one row (`entity`, `entity_id`) when given.
pub fn conflicts(ws: &Workspace, of: Option<(&str, &str)>) -> Result<Vec<Conflict>> {
    let filter = if of.is_some() {
        " AND c.entity = ?1 AND c.entity_id = ?2"
    } else {
        ""
    };
    let sql = format!(
        "{}{filter} ORDER BY c.id",
        OPEN.replace("{history}", changes::HISTORY_SQL)
    );
    let mut stmt = ws.conn().prepare(&sql)?;
    let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Conflict> {
        let side = |at: usize| -> rusqlite::Result<Change> {
            let value = changes::sql_json(&r.get(at)?);
            Ok(Change {
                label: label(ws.conn(), &value),
                value,
                actor: r.get(at + 1)?,
                actor_name: r.get(at + 2)?,
                device: r.get(at + 3)?,
                at: r.get(at + 4)?,
            })
        };
        let (entity, entity_id): (String, String) = (r.get(1)?, r.get(2)?);
        Ok(Conflict {
            id: r.get(0)?,
            subject: subject(ws.conn(), &entity, &entity_id),
            entity,
            entity_id,
            field: r.get(3)?,
            found_at: r.get(4)?,
            kept: side(5)?,
            other: side(10)?,
        })
    };
    let rows = match of {
        Some((entity, id)) => stmt.query_map(params![entity, id], read)?,
        None => stmt.query_map([], read)?,
    };
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Settles conflict `id` (and the others its set-aside change made in the same transaction, on
/// the same row: one decision, one click) by `side`. Each field is set to the picked value as an
/// ordinary recorded change, also when it already holds it, so every laptop learns the decision.
pub fn resolve(ws: &mut Workspace, id: i64, side: Side) -> Result<Vec<Conflict>> {
    let open = conflicts(ws, None)?;
    let Some(this) = open.iter().find(|c| c.id == id) else {
        return Err(Error::Invalid(format!(
            "there is no open conflict {id} (truce hub conflicts lists them)"
        )));
    };
    let group: Vec<Conflict> = open
        .iter()
        .filter(|c| {
            c.entity == this.entity
                && c.entity_id == this.entity_id
                && c.other.device == this.other.device
                && c.other.at == this.other.at
        })
        .cloned()
        .collect();
    let tx = ws.write_tx()?;
    let picked = match side {
        Side::Kept => &this.kept,
        Side::Other => &this.other,
    };
    let who = picked.actor_name.as_deref().unwrap_or(&picked.actor);
    changes::because(
        &tx,
        format!(
            "conflict settled: kept the change {who} made on {}",
            picked.at
        )
        .as_str(),
    )?;
    for c in &group {
        let value = match side {
            Side::Kept => &c.kept.value,
            Side::Other => &c.other.value,
        };
        let Some(now) = value_of(&tx, c)? else {
            return Err(Error::Invalid(format!(
                "the {} '{}' was deleted since: nothing to settle",
                c.entity, c.entity_id
            )));
        };
        if changes::sql_json(&now) == *value {
            // No change to the row: the decision is recorded as one, for the other laptops.
            tx.prepare_cached(
                "INSERT INTO change_log (entity, entity_id, field, old_value, new_value, actor, device, hlc, at, reason)
                 VALUES (?1, ?2, ?3, ?4, ?4, truce_actor(), truce_device(), truce_hlc(), truce_at(), truce_reason())",
            )?
            .execute(params![c.entity, c.entity_id, c.field, now])?;
        } else {
            changes::replay(
                &tx,
                &[RowChange {
                    entity: c.entity.clone(),
                    entity_id: c.entity_id.clone(),
                    field: c.field.clone(),
                    old: now,
                    new: changes::json_value(value.clone()),
                }],
            )?;
        }
    }
    tx.commit()?;
    Ok(group)
}

/// The field's value now, or none when its row is gone.
fn value_of(tx: &rusqlite::Transaction<'_>, c: &Conflict) -> Result<Option<SqlValue>> {
    let shape = super::merge::shape_of(tx, &c.entity)?
        .ok_or_else(|| Error::Invalid(format!("unknown entity '{}'", c.entity)))?;
    if !shape.columns.contains(&c.field) {
        return Err(Error::Invalid(format!(
            "'{}' is no field of {}",
            c.field, c.entity
        )));
    }
    let key = super::merge::key_of(&shape, &c.entity_id)
        .map_err(|problem| Error::Invalid(format!("the {} named {problem}", c.entity)))?;
    super::merge::current(tx, &shape, &c.field, &key)
}

/// What people call the row a conflict is about: an item by its title, the others by name.
fn subject(conn: &rusqlite::Connection, entity: &str, id: &str) -> Option<String> {
    let sql = match entity {
        "work_item" => "SELECT title FROM work_items WHERE id = ?1",
        "asset" => "SELECT name FROM assets WHERE id = ?1",
        "change_window" => "SELECT name FROM change_windows WHERE id = ?1",
        "person" => "SELECT name FROM people WHERE id = ?1",
        "team" => "SELECT name FROM teams WHERE id = ?1",
        _ => return None,
    };
    conn.prepare_cached(sql)
        .ok()?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()
        .ok()
        .flatten()
        .flatten()
}

/// A person's, team's or window's name for an id, so a conflict over who owns an item reads as
/// names, not ids.
fn label(conn: &rusqlite::Connection, value: &Value) -> Option<String> {
    let id = value.as_str()?;
    ["people", "teams", "change_windows"]
        .iter()
        .find_map(|table| {
            conn.prepare_cached(&format!("SELECT name FROM {table} WHERE id = ?1"))
                .ok()?
                .query_row([id], |r| r.get::<_, String>(0))
                .optional()
                .ok()
                .flatten()
        })
}
