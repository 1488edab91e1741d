//! CISA's Known Exploited Vulnerabilities (KEV) catalog: read from its published JSON (a file,
//! or its URL when online), stored whole, and every vulnerability with a CVE in it flagged
//! known exploited. Imports flag what they bring in against the stored catalog, so a laptop
//! offline keeps flagging with the last catalog it read.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::ids::utc_text;
use crate::Workspace;

/// The catalog as CISA publishes it (known_exploited_vulnerabilities.json); fields Truce does
/// not use are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Catalog {
    catalog_version: String,
    date_released: String,
    vulnerabilities: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    vulnerability_name: String,
    date_added: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

/// What reading a catalog did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct KevReport {
    pub version: String,
    pub released: String,
    pub entries: u32,
    /// Vulnerabilities in the workspace newly flagged known exploited.
    pub flagged: u32,
}

/// Reads the catalog at `source` (a file, or an http(s) URL) into the workspace.
pub fn import(ws: &mut Workspace, source: &str, now: DateTime<Utc>) -> Result<KevReport> {
    let bytes = if truce_net::is_url(source) {
        truce_net::fetch(source, crate::calendar::ical::MAX_ICS_BYTES)?
    } else {
        // The same cap as the download: the real catalog is about 1.5 MB.
        let size = crate::files::readable(Path::new(source))?.len();
        if size > crate::calendar::ical::MAX_ICS_BYTES as u64 {
            return Err(Error::Unreadable {
                path: source.into(),
                detail: format!(
                    "the file is {size} bytes; a KEV catalog is read up to {} MiB",
                    crate::calendar::ical::MAX_ICS_BYTES >> 20
                ),
            });
        }
        std::fs::read(source).map_err(|e| Error::Unreadable {
            path: source.into(),
            detail: e.to_string(),
        })?
    };
    let catalog = parse(source, &bytes)?;
    store(ws, &catalog, source, now)
}

fn parse(source: &str, bytes: &[u8]) -> Result<Catalog> {
    let catalog: Catalog = serde_json::from_slice(bytes)
        .map_err(|e| crate::ingest::json_error_with(source, e, None))?;
    if let Some(bad) = catalog
        .vulnerabilities
        .iter()
        .find(|v| crate::ingest::cve(&v.cve_id).is_none())
    {
        return Err(Error::BadInput {
            file: source.into(),
            position: format!("cveID \"{}\"", bad.cve_id),
            problem: "not a CVE id: is this CISA's Known Exploited Vulnerabilities catalog?".into(),
        });
    }
    Ok(catalog)
}

fn store(ws: &mut Workspace, c: &Catalog, source: &str, now: DateTime<Utc>) -> Result<KevReport> {
    let at = utc_text(now);
    let tx = ws.write_tx()?;
    tx.execute("DELETE FROM kev_catalog", [])?;
    {
        let mut put = tx.prepare(
            "INSERT OR REPLACE INTO kev_catalog (cve, name, date_added, due_date, ransomware) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for v in &c.vulnerabilities {
            let ransomware = v
                .known_ransomware_campaign_use
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("known"));
            put.execute(params![
                crate::ingest::cve(&v.cve_id),
                v.vulnerability_name,
                v.date_added,
                v.due_date,
                ransomware
            ])?;
        }
    }
    let entries: u32 = tx.query_row("SELECT count(*) FROM kev_catalog", [], |r| r.get(0))?;
    tx.execute(
        "INSERT OR REPLACE INTO kev_source (only_row, version, released, entries, source, imported_at) VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![c.catalog_version, c.date_released, entries, source, at],
    )?;
    let flagged = flag(&tx)?;
    crate::changes::note(
        &tx,
        "kev_source",
        &c.catalog_version,
        "imported",
        Some(&format!(
            "{entries} CVEs, {flagged} vulnerabilities flagged"
        )),
        Some(source),
    )?;
    crate::planning::stats::refresh(&tx)?;
    tx.commit()?;
    Ok(KevReport {
        version: c.catalog_version.clone(),
        released: c.date_released.clone(),
        entries,
        flagged,
    })
}

/// Flags known exploited every vulnerability with a CVE in the stored catalog that is not yet,
/// each in the change log. Returns how many. Called by the catalog's import and by every file
/// import, in their transactions.
pub(crate) fn flag(conn: &Connection) -> Result<u32> {
    let ids: Vec<(String, String)> = conn
        .prepare(
            "SELECT v.id, min(k.cve) FROM vulnerabilities v
             JOIN vulnerability_cves c ON c.vulnerability_id = v.id
             JOIN kev_catalog k ON k.cve = c.cve
             WHERE v.known_exploited = 0 GROUP BY v.id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<std::result::Result<_, _>>()?;
    for (id, cve) in &ids {
        crate::changes::because(conn, format!("{cve} is in CISA's KEV catalog").as_str())?;
        conn.execute(
            "UPDATE vulnerabilities SET known_exploited = 1 WHERE id = ?1",
            [id],
        )?;
    }
    crate::changes::because(conn, None)?;
    Ok(ids.len() as u32)
}

/// The catalog last read: (version, released, entries, source, read at), if any.
pub fn status(conn: &Connection) -> Result<Option<(String, String, u32, String, String)>> {
    Ok(conn
        .query_row(
            "SELECT version, released, entries, source, imported_at FROM kev_source",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?)
}
