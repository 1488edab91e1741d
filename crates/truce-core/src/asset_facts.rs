//! The facts ops knows about an asset and scanners do not: its environment, tags, criticality,
//! whether it faces the internet, and its HA group. Window scope, SLA overrides, ownership
//! rules and the HA rule all read them; people set them here (`truce assets set`), each change
//! in the change log.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::Workspace;

/// What to change on every asset given; `None` leaves a fact as it is. For environment and
/// HA group, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct FactsChange {
    pub environment: Option<Option<String>>,
    pub criticality: Option<String>,
    pub internet_facing: Option<bool>,
    pub ha_group: Option<Option<String>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

const CRITICALITIES: [&str; 4] = ["low", "medium", "high", "critical"];

/// Applies `change` to `assets` (ids or names), in one transaction. Returns how many facts
/// changed (a fact set to what it was is not a change).
pub fn set(ws: &mut Workspace, assets: &[String], change: &FactsChange) -> Result<u32> {
    if let Some(c) = &change.criticality {
        if !CRITICALITIES.contains(&c.as_str()) {
            return Err(Error::Invalid(format!(
                "criticality '{c}': expected low, medium, high or critical"
            )));
        }
    }
    let tx = ws.write_tx()?;
    let at = crate::changes::now(&tx)?;
    let ids = assets
        .iter()
        .map(|a| asset_id(&tx, a))
        .collect::<Result<Vec<_>>>()?;
    let mut changed = 0;
    let by = at.as_str();
    for id in &ids {
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        if let Some(env) = &change.environment {
            changed += column(&tx, by, id, "environment", text(env))?;
        }
        if let Some(c) = &change.criticality {
            changed += column(&tx, by, id, "criticality", Some(c.clone()))?;
        }
        if let Some(f) = change.internet_facing {
            changed += column(
                &tx,
                by,
                id,
                "internet_facing",
                Some(if f { "1" } else { "0" }.into()),
            )?;
        }
        if let Some(g) = &change.ha_group {
            changed += column(&tx, by, id, "ha_group", text(g))?;
        }
        for tag in change
            .add_tags
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
        {
            if tx.execute(
                "INSERT OR IGNORE INTO asset_tags (asset_id, tag) VALUES (?1, ?2)",
                params![id, tag],
            )? > 0
            {
                changed += 1;
            }
        }
        for tag in &change.remove_tags {
            if tx.execute(
                "DELETE FROM asset_tags WHERE asset_id = ?1 AND tag = ?2",
                params![id, tag.trim()],
            )? > 0
            {
                changed += 1;
            }
        }
    }
    crate::planning::stats::refresh(&tx)?;
    tx.commit()?;
    Ok(changed)
}

/// Sets one column of an asset when it differs (the write records itself). Returns 1 or 0.
fn column(conn: &Connection, at: &str, id: &str, name: &str, value: Option<String>) -> Result<u32> {
    // `name` is one of this module's constants, never input.
    let old: Option<String> = conn.query_row(
        &format!("SELECT CAST({name} AS TEXT) FROM assets WHERE id = ?1"),
        [id],
        |r| r.get(0),
    )?;
    if old == value {
        return Ok(0);
    }
    conn.execute(
        &format!("UPDATE assets SET {name} = ?2, updated_at = ?3 WHERE id = ?1"),
        params![id, value, at],
    )?;
    Ok(1)
}

/// An asset's id from its id or name; a name two assets share must be given as an id.
pub(crate) fn asset_id(conn: &Connection, asset: &str) -> Result<String> {
    if let Some(id) = conn
        .query_row("SELECT id FROM assets WHERE id = ?1", [asset], |r| r.get(0))
        .optional()?
    {
        return Ok(id);
    }
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM assets WHERE name = ?1 COLLATE NOCASE LIMIT 2")?
        .query_map([asset], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Invalid(format!(
            "no asset '{asset}' (see `truce assets list`)"
        ))),
        _ => Err(Error::Invalid(format!(
            "two assets are named '{asset}': give its id (see `truce assets list`)"
        ))),
    }
}
