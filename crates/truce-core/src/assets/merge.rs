//! Merging assets that are one machine: a scanner knew it by its IP, another by its FQDN, and no
//! report carried both keys, so Truce kept two assets. Everything of the others moves to the one
//! kept, and the next scan that names any of the keys lands on it.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::workspace::Workspace;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct MergeReport {
    /// The asset kept.
    pub asset: String,
    pub name: String,
    /// Names of the assets merged into it (gone now).
    pub merged: Vec<String>,
    /// Keys ("kind=value") it is now known by in addition.
    pub identifiers: Vec<String>,
    /// Findings moved to it.
    pub findings: u32,
    /// Findings both assets had (one vulnerability at one place): kept once, with the earliest
    /// first seen and the latest sighting's status.
    pub combined: u32,
}

/// Merges the assets `others` into `into`, in one transaction: keys, findings (one finding of
/// both kept once), scan scope and tags move; the facts `into` lacks (environment, OS, owner, HA
/// group) are taken from the others; every change is logged. Work items are regrouped after.
pub fn merge(ws: &mut Workspace, into: &str, others: &[String]) -> Result<MergeReport> {
    let actor = ws.actor().to_string();
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    let into = crate::asset_facts::asset_id(&tx, into)?;
    let into = into.as_str();
    let name = name_of(&tx, into)?;
    if others.is_empty() {
        return Err(Error::Invalid(format!(
            "name at least one asset to merge into {name}"
        )));
    }
    let mut report = MergeReport {
        asset: into.to_string(),
        name: name.clone(),
        merged: Vec::new(),
        identifiers: Vec::new(),
        findings: 0,
        combined: 0,
    };
    for other in others {
        let other = &crate::asset_facts::asset_id(&tx, other)?;
        if other == into {
            return Err(Error::Invalid(format!(
                "{name} cannot be merged into itself"
            )));
        }
        let other_name = name_of(&tx, other)?;
        merge_one(&tx, into, (other, &other_name), &actor, &at, &mut report)?;
        report.merged.push(other_name);
    }
    tx.commit()?;
    crate::planning::grouping::regroup_if_planning(ws)?;
    Ok(report)
}

fn name_of(tx: &Transaction<'_>, asset: &str) -> Result<String> {
    tx.query_row("SELECT name FROM assets WHERE id = ?1", [asset], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| Error::Invalid(format!("no asset {asset}")))
}

fn merge_one(
    tx: &Transaction<'_>,
    into: &str,
    (other, other_name): (&str, &str),
    actor: &str,
    _at: &str,
    report: &mut MergeReport,
) -> Result<()> {
    let reason = format!("merged from {other_name}");
    crate::changes::because(tx, reason.as_str())?;
    crate::changes::acting(tx, actor)?;
    // Keys.
    let keys: Vec<String> = tx
        .prepare("SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id = ?1 ORDER BY kind, value")?
        .query_map([other], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    tx.execute(
        "INSERT OR IGNORE INTO asset_identifiers (asset_id, kind, value)
         SELECT ?1, kind, value FROM asset_identifiers WHERE asset_id = ?2",
        params![into, other],
    )?;
    report.identifiers.extend(keys);

    // Findings both have: the kept asset's row takes the earliest first sighting, and the status
    // of whichever was seen last; the other row goes.
    let twins: Vec<(String, String)> = tx
        .prepare(
            "SELECT o.id, k.id FROM findings o JOIN findings k
               ON k.asset_id = ?1 AND k.vulnerability_id = o.vulnerability_id AND k.location = o.location
             WHERE o.asset_id = ?2",
        )?
        .query_map(params![into, other], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (gone, kept) in &twins {
        tx.execute(
            "UPDATE findings SET
               first_seen = min(first_seen, (SELECT first_seen FROM findings WHERE id = ?2)),
               status = CASE WHEN (SELECT last_seen FROM findings WHERE id = ?2) > last_seen
                             THEN (SELECT status FROM findings WHERE id = ?2) ELSE status END,
               closed_at = CASE WHEN (SELECT last_seen FROM findings WHERE id = ?2) > last_seen
                             THEN (SELECT closed_at FROM findings WHERE id = ?2) ELSE closed_at END,
               last_seen = max(last_seen, (SELECT last_seen FROM findings WHERE id = ?2))
             WHERE id = ?1",
            params![kept, gone],
        )?;
        // An exception granted on the finding that goes stands on the one kept.
        tx.execute(
            "UPDATE exceptions SET finding_id = ?1 WHERE finding_id = ?2",
            params![kept, gone],
        )?;
        tx.execute("DELETE FROM findings WHERE id = ?1", [gone])?;
    }
    report.combined += twins.len() as u32;

    // The rest of its findings.
    let moved = tx.execute(
        "UPDATE findings SET asset_id = ?1 WHERE asset_id = ?2",
        params![into, other],
    )?;
    report.findings += moved as u32;

    // Scan scope: a rescan by one of those imports' scanners closes what it no longer reports.
    tx.execute(
        "INSERT OR IGNORE INTO import_scope (import_id, asset_id, scanner, scanned_at, identifiers)
         SELECT import_id, ?1, scanner, scanned_at, identifiers FROM import_scope WHERE asset_id = ?2",
        params![into, other],
    )?;
    // Tags: the union.
    tx.execute(
        "INSERT OR IGNORE INTO asset_tags (asset_id, tag) SELECT ?1, tag FROM asset_tags WHERE asset_id = ?2",
        params![into, other],
    )?;
    // Facts the kept asset lacks.
    for field in ["environment", "os", "owner_team_id", "ha_group"] {
        let (was, offered): (Option<String>, Option<String>) = tx.query_row(
            &format!(
                "SELECT k.{field}, o.{field} FROM assets k, assets o WHERE k.id = ?1 AND o.id = ?2"
            ),
            params![into, other],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if was.is_none() && offered.is_some() {
            tx.execute(
                &format!("UPDATE assets SET {field} = ?2 WHERE id = ?1"),
                params![into, offered],
            )?;
            if field == "owner_team_id" {
                tx.execute(
                    "UPDATE assets SET owner_source = (SELECT owner_source FROM assets WHERE id = ?2) WHERE id = ?1",
                    params![into, other],
                )?;
            }
        }
    }
    tx.execute("DELETE FROM assets WHERE id = ?1", [other])?;
    Ok(())
}
