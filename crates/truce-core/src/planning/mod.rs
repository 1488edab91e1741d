//! The planning engine: findings grouped into work items, who owns them, their states, SLAs,
//! exceptions and commitments. User-facing rules: `docs/planning.md`.

pub mod exceptions;
pub mod fixkey;
pub mod grouping;
pub mod items;
pub mod metrics;
pub mod ownership;
pub mod people;
pub mod sla;
pub mod split;
pub mod states;
pub mod stats;
pub mod types;

pub use grouping::{regroup, regroup_preview};
pub use items::{item_detail, list_items, merge, split};
pub use states::{assign, schedule, transition, unschedule, verify_done_items};
pub use types::*;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};

/// A team's id from its id or name.
pub(crate) fn team_id(conn: &Connection, team: &str) -> Result<String> {
    conn.query_row(
        "SELECT id FROM teams WHERE id = ?1 OR name = ?1 COLLATE NOCASE",
        [team],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| Error::Invalid(format!("no team '{team}' (see `truce teams list`)")))
}

/// A person's id and name from their id, email or name.
pub(crate) fn person(conn: &Connection, who: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row(
            "SELECT id, name FROM people WHERE id = ?1 OR email = ?1 COLLATE NOCASE OR name = ?1 COLLATE NOCASE
             ORDER BY id LIMIT 1",
            [who],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The person acting, by id only: who approves or decides must be signed in (or named with
/// `--as`, which resolves to an id). An OS user whose login happens to equal a person's name
/// or email is not that person.
pub(crate) fn acting_person(conn: &Connection, actor: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row("SELECT id, name FROM people WHERE id = ?1", [actor], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// Like [`person`], but a person who does not exist is an error.
pub(crate) fn person_id(conn: &Connection, who: &str) -> Result<String> {
    person(conn, who)?
        .map(|p| p.0)
        .ok_or_else(|| Error::Invalid(format!("no person '{who}' (see `truce teams people`)")))
}
