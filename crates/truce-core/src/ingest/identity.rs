//! One asset per real machine or image: which existing asset a scanned target is.
//!
//! Keys are tried strongest first: cloud instance id, image digest, FQDN, MAC, host name,
//! NetBIOS name, artifact reference, and an IP address only for targets known by nothing
//! else (addresses move between machines). A candidate is rejected when it carries a
//! different value of a key that names one thing only (cloud id, digest, FQDN): two
//! `web01`s in different domains stay two assets.

use rusqlite::{params, OptionalExtension, Transaction};

use super::IdentifierKind;
use crate::error::Result;

/// How much a match on this kind of key is worth; lower is stronger.
fn strength(kind: IdentifierKind) -> u8 {
    match kind {
        IdentifierKind::CloudId => 0,
        IdentifierKind::ImageDigest => 1,
        IdentifierKind::Fqdn => 2,
        IdentifierKind::Mac => 3,
        IdentifierKind::Hostname => 4,
        IdentifierKind::Netbios => 5,
        IdentifierKind::Artifact => 6,
        IdentifierKind::Ip => 7,
    }
}

/// Keys that name exactly one thing: an asset with another value of one is another asset.
const EXCLUSIVE: [IdentifierKind; 3] = [
    IdentifierKind::CloudId,
    IdentifierKind::ImageDigest,
    IdentifierKind::Fqdn,
];

/// The existing asset these identifiers belong to, and the key that proved it.
pub fn find(
    tx: &Transaction<'_>,
    ids: &[(IdentifierKind, String)],
) -> Result<Option<(String, IdentifierKind, String)>> {
    let mut ids = ids.to_vec();
    ids.sort_by_key(|(k, v)| (strength(*k), v.clone()));
    let named = ids.iter().any(|(k, _)| *k != IdentifierKind::Ip);
    for (kind, value) in &ids {
        if *kind == IdentifierKind::Ip && named {
            continue;
        }
        let mut stmt = tx.prepare_cached(
            "SELECT asset_id FROM asset_identifiers WHERE kind = ?1 AND value = ?2",
        )?;
        let candidates: Vec<String> = stmt
            .query_map(params![kind.as_str(), value], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for candidate in candidates {
            if !conflicts(tx, &candidate, &ids)? {
                return Ok(Some((candidate, *kind, value.clone())));
            }
        }
    }
    Ok(None)
}

fn conflicts(tx: &Transaction<'_>, asset: &str, ids: &[(IdentifierKind, String)]) -> Result<bool> {
    for kind in EXCLUSIVE {
        let ours: Vec<&String> = ids
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, v)| v)
            .collect();
        if ours.is_empty() {
            continue;
        }
        let mut stmt = tx.prepare_cached(
            "SELECT value FROM asset_identifiers WHERE asset_id = ?1 AND kind = ?2",
        )?;
        let theirs: Vec<String> = stmt
            .query_map(params![asset, kind.as_str()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if !theirs.is_empty() && !theirs.iter().any(|t| ours.contains(&t)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `asset` already has this identifier.
pub fn has(tx: &Transaction<'_>, asset: &str, kind: IdentifierKind, value: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM asset_identifiers WHERE asset_id = ?1 AND kind = ?2 AND value = ?3",
        )?
        .query_row(params![asset, kind.as_str(), value], |_| Ok(()))
        .optional()?
        .is_some())
}
