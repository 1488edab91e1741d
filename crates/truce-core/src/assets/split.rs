//! Splitting an asset that Truce merged wrongly back into two, with the findings and scan scope
//! of the keys moved.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::workspace::Workspace;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct SplitReport {
    pub asset: String,
    pub name: String,
    pub identifiers: Vec<String>,
    /// Findings moved to the new asset.
    pub findings: u32,
    /// Findings of the old asset that a moved import had closed, reopened.
    pub reopened: u32,
}

/// Moves the keys `keys` ("kind=value") of asset `asset` to a new asset, with the findings
/// first reported by imports whose target carried one of those keys, and those imports'
/// scope (so later rescans close on the right machine). Findings of the old asset that those
/// imports closed (as if the other machine's scan were its own) are reopened. All logged.
pub fn split(ws: &mut Workspace, asset: &str, keys: &[String]) -> Result<SplitReport> {
    let tx = ws.write_tx()?;
    let exists: Option<String> = tx
        .query_row("SELECT name FROM assets WHERE id = ?1", [asset], |r| {
            r.get(0)
        })
        .optional()?;
    let old_name = exists.ok_or_else(|| Error::Invalid(format!("no asset {asset}")))?;
    if keys.is_empty() {
        return Err(Error::Invalid(
            "name at least one key to split off (kind=value)".into(),
        ));
    }
    let total: i64 = tx.query_row(
        "SELECT count(*) FROM asset_identifiers WHERE asset_id = ?1",
        [asset],
        |r| r.get(0),
    )?;
    let mut parsed = Vec::new();
    for key in keys {
        let (kind, value) = key.split_once('=').ok_or_else(|| {
            Error::Invalid(format!("'{key}' is not kind=value (e.g. ip=10.0.0.5)"))
        })?;
        let has: i64 = tx.query_row(
            "SELECT count(*) FROM asset_identifiers WHERE asset_id = ?1 AND kind = ?2 AND value = ?3",
            params![asset, kind, value],
            |r| r.get(0),
        )?;
        if has == 0 {
            return Err(Error::Invalid(format!("asset {old_name} has no key {key}")));
        }
        parsed.push((kind.to_string(), value.to_string()));
    }
    if parsed.len() as i64 >= total {
        return Err(Error::Invalid(format!(
            "that is every key of {old_name}: nothing would be left"
        )));
    }
    let at = crate::changes::now(&tx)?;
    let id = new_id();
    let name = best_name(&parsed);
    crate::changes::because(&tx, format!("split from {old_name}").as_str())?;
    tx.execute(
        "INSERT INTO assets (id, name, environment, criticality, os, created_at, updated_at)
         SELECT ?1, ?2, environment, criticality, os, ?3, ?3 FROM assets WHERE id = ?4",
        params![id, name, at, asset],
    )?;
    for (kind, value) in &parsed {
        tx.execute(
            "UPDATE asset_identifiers SET asset_id = ?1 WHERE asset_id = ?2 AND kind = ?3 AND value = ?4",
            params![id, asset, kind, value],
        )?;
    }
    // The imports that reached this asset through one of the moved keys.
    let keys_json = serde_json::to_string(&keys).expect("strings serialize");
    tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS split_imports (import_id TEXT PRIMARY KEY); DELETE FROM split_imports;")?;
    tx.execute(
        "INSERT OR IGNORE INTO split_imports SELECT s.import_id FROM import_scope s
         WHERE s.asset_id = ?1 AND EXISTS (SELECT 1 FROM json_each(s.identifiers) j, json_each(?2) k WHERE j.value = k.value)",
        params![asset, keys_json],
    )?;
    let findings = tx.execute(
        "UPDATE findings SET asset_id = ?2 WHERE asset_id = ?1 AND first_import_id IN (SELECT import_id FROM split_imports)",
        params![asset, id],
    )?;
    tx.execute(
        "UPDATE import_scope SET asset_id = ?2 WHERE asset_id = ?1 AND import_id IN (SELECT import_id FROM split_imports)",
        params![asset, id],
    )?;
    // What those imports closed on this asset, they closed as a scan of the other machine: reopen it.
    let reopen = "FROM findings f WHERE f.asset_id = ?1 AND f.status = 'fixed' AND f.closed_at IN
        (SELECT scanned_at FROM import_scope WHERE asset_id = ?2 AND import_id IN (SELECT import_id FROM split_imports))";
    crate::changes::because(
        &tx,
        format!("closed by a scan of {name}, split from {old_name}").as_str(),
    )?;
    let reopened = tx.execute(
        &format!("UPDATE findings SET status = 'open', closed_at = NULL WHERE id IN (SELECT f.id {reopen})"),
        params![asset, id],
    )?;
    tx.execute_batch("DROP TABLE split_imports;")?;
    tx.commit()?;
    Ok(SplitReport {
        asset: id,
        name,
        identifiers: keys.to_vec(),
        findings: findings as u32,
        reopened: reopened as u32,
    })
}

fn best_name(keys: &[(String, String)]) -> String {
    for kind in [
        "fqdn",
        "netbios",
        "hostname",
        "artifact",
        "cloud_id",
        "image_digest",
        "ip",
        "mac",
    ] {
        if let Some((_, v)) = keys.iter().find(|(k, _)| k == kind) {
            return v.clone();
        }
    }
    keys[0].1.clone()
}
