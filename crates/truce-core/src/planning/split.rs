//! Splitting an item along a line people plan by: one item per host, per environment, or per
//! node of the HA groups it spans (so no occurrence takes two nodes of one cluster at once, which
//! the HA rule refuses).

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::items::{split_tx, splittable};
use super::stats;
use crate::error::{Error, Result};
use crate::Workspace;

/// The line an item is split along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SplitBy {
    /// One item per host (asset).
    Asset,
    /// One item per environment of its hosts.
    Environment,
    /// Node 1 of every HA group in one item, node 2 in the next, and so on; hosts in no group
    /// stay with node 1.
    HaNode,
}

impl SplitBy {
    pub fn parse(s: &str) -> Option<SplitBy> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "asset" | "host" => Some(SplitBy::Asset),
            "environment" | "env" => Some(SplitBy::Environment),
            "ha-node" | "node" => Some(SplitBy::HaNode),
            _ => None,
        }
    }
}

/// Splits `item` along `by`: its first group stays (and keeps its title, so a merge back reads
/// as before), each other group becomes a new item named "title — group". One transaction.
/// Returns the new items' ids.
pub fn split_by(
    ws: &mut Workspace,
    item: &str,
    by: SplitBy,
    actor: &str,
    reason: &str,
) -> Result<Vec<String>> {
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    splittable(&tx, item)?;
    let groups = groups(&tx, item, by)?;
    if groups.len() < 2 {
        return Err(Error::Invalid(format!(
            "the item has one {} only: nothing to split",
            match by {
                SplitBy::Asset => "host",
                SplitBy::Environment => "environment",
                SplitBy::HaNode => "node per HA group",
            }
        )));
    }
    let title: String =
        tx.query_row("SELECT title FROM work_items WHERE id = ?1", [item], |r| {
            r.get(0)
        })?;
    let mut made = Vec::new();
    for (label, findings) in groups.iter().skip(1) {
        let name = format!("{title} — {label}");
        made.push(split_tx(
            &tx,
            item,
            findings,
            Some(&name),
            (actor, &at),
            reason,
        )?);
    }
    stats::refresh(&tx)?;
    tx.commit()?;
    Ok(made)
}

/// The item's findings in groups along `by`, each with its label, in a stable order.
fn groups(conn: &Connection, item: &str, by: SplitBy) -> Result<Vec<(String, Vec<String>)>> {
    // (label, finding): the label is what the group is named by.
    let sql = match by {
        SplitBy::Asset => {
            "SELECT a.name, f.id FROM work_item_findings w JOIN findings f ON f.id = w.finding_id
             JOIN assets a ON a.id = f.asset_id WHERE w.work_item_id = ?1 ORDER BY a.name, a.id, f.id"
        }
        SplitBy::Environment => {
            "SELECT COALESCE(a.environment, 'no environment'), f.id FROM work_item_findings w
             JOIN findings f ON f.id = w.finding_id JOIN assets a ON a.id = f.asset_id
             WHERE w.work_item_id = ?1 ORDER BY 1, f.id"
        }
        // A node's number is its place among its group's hosts by name; hosts in no group are
        // with node 1.
        SplitBy::HaNode => {
            "SELECT 'node ' || CASE WHEN a.ha_group IS NULL THEN 1 ELSE
                 (SELECT count(*) FROM assets b WHERE b.ha_group = a.ha_group AND (b.name < a.name OR (b.name = a.name AND b.id <= a.id))) END,
                 f.id
             FROM work_item_findings w JOIN findings f ON f.id = w.finding_id JOIN assets a ON a.id = f.asset_id
             WHERE w.work_item_id = ?1 ORDER BY 1, f.id"
        }
    };
    let rows: Vec<(String, String)> = conn
        .prepare(sql)?
        .query_map(params![item], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (label, finding) in rows {
        match out.last_mut() {
            Some((l, fs)) if *l == label => fs.push(finding),
            _ => out.push((label, vec![finding])),
        }
    }
    Ok(out)
}
