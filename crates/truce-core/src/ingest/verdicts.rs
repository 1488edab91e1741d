//! Vendor verdicts (VEX) kept in the workspace: the OpenVEX statements of earlier imports,
//! which give their status to findings that later scans report.

use std::collections::HashMap;

use rusqlite::Transaction;

use super::VerdictStatus;
use crate::error::Result;

pub(super) struct StoredStatement {
    pub(super) product: Option<(String, Option<String>)>,
    pub(super) status: VerdictStatus,
    pub(super) reason: String,
}

impl StoredStatement {
    /// Whether the statement's product is the package at `location` ("name@version").
    pub(super) fn covers(&self, location: &str) -> bool {
        match &self.product {
            None => true,
            Some((name, Some(version))) => location == format!("{name}@{version}"),
            Some((name, None)) => location
                .strip_prefix(name.as_str())
                .is_some_and(|rest| rest.starts_with('@')),
        }
    }
}

pub(super) fn stored_statements(
    tx: &Transaction<'_>,
) -> Result<HashMap<String, Vec<StoredStatement>>> {
    let mut stmt = tx.prepare(
        "SELECT vulnerability, product_name, product_version, status, reason FROM vex_statements ORDER BY at, id",
    )?;
    let mut map: HashMap<String, Vec<StoredStatement>> = HashMap::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    for row in rows {
        let (vulnerability, name, version, status, reason) = row?;
        let status = if status == "fixed" {
            VerdictStatus::Fixed
        } else {
            VerdictStatus::NotAffected
        };
        map.entry(vulnerability).or_default().push(StoredStatement {
            product: name.map(|n| (n, version)),
            status,
            reason,
        });
    }
    Ok(map)
}
