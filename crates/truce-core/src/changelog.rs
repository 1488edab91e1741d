//! The append-only change log: one row per changed field, with actor and time.
//! Triggers in the schema refuse updates and deletes.

use rusqlite::{params, Connection};

use crate::ids::new_id;

pub struct Change<'a> {
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub field: &'a str,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
    pub reason: Option<&'a str>,
}

pub fn record(conn: &Connection, actor: &str, at: &str, c: &Change<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO change_log (id, entity, entity_id, field, old_value, new_value, actor, at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![new_id(), c.entity, c.entity_id, c.field, c.old, c.new, actor, at, c.reason])?;
    Ok(())
}
