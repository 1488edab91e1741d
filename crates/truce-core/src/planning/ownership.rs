//! Which ops team owns an asset. Rules (by tag, environment, hostname pattern, CIDR, OS pattern,
//! criticality, HA group or internet-facing) are tried
//! in position order and the first that matches wins; an owner set by hand is never overridden.

use std::collections::HashMap;
use std::net::IpAddr;

use rusqlite::{params, Connection, OptionalExtension};

use super::types::OwnershipRule;
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::Workspace;

pub const KINDS: [&str; 8] = [
    "tag",
    "environment",
    "hostname",
    "cidr",
    "os",
    "criticality",
    "ha_group",
    "internet_facing",
];

/// The facts of an asset that rules other than names and addresses read.
struct Facts {
    os: Option<String>,
    criticality: String,
    ha_group: Option<String>,
    internet_facing: bool,
}

/// Adds a rule at the end of the list; checks the pattern (a CIDR must parse).
pub fn add_rule(ws: &mut Workspace, kind: &str, pattern: &str, team: &str) -> Result<String> {
    if !KINDS.contains(&kind) {
        return Err(Error::Invalid(format!(
            "unknown rule kind '{kind}': expected one of {}",
            KINDS.join(", ")
        )));
    }
    if kind == "internet_facing" && !["yes", "no"].contains(&pattern) {
        return Err(Error::Invalid(format!(
            "an internet_facing rule matches 'yes' or 'no', not '{pattern}'"
        )));
    }
    if kind == "criticality" && !["low", "medium", "high", "critical"].contains(&pattern) {
        return Err(Error::Invalid(format!(
            "criticality '{pattern}': expected low, medium, high or critical"
        )));
    }
    if kind == "cidr" && parse_cidr(pattern).is_none() {
        return Err(Error::Invalid(format!(
            "'{pattern}' is not a CIDR block like 10.0.0.0/8"
        )));
    }
    let tx = ws.write_tx()?;
    let team_id = super::team_id(&tx, team)?;
    let position: i64 = tx.query_row(
        "SELECT coalesce(max(position), 0) + 1 FROM ownership_rules",
        [],
        |r| r.get(0),
    )?;
    let id = new_id();
    let at = crate::changes::now(&tx)?;
    tx.execute(
        "INSERT INTO ownership_rules (id, position, kind, pattern, team_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, position, kind, pattern, team_id, at],
    )?;
    tx.commit()?;
    Ok(id)
}

/// Removes a rule, by id or position; owners it gave change at the next regroup.
pub fn delete_rule(ws: &mut Workspace, rule: &str) -> Result<()> {
    let tx = ws.write_tx()?;
    let found: Option<(String, String, i64)> = tx
        .query_row(
            "SELECT id, kind || ' ' || pattern, position FROM ownership_rules WHERE id = ?1 OR CAST(position AS TEXT) = ?1",
            [rule],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((id, _text, position)) = found else {
        return Err(Error::Invalid(format!(
            "no ownership rule '{rule}' (see `truce owners list`)"
        )));
    };
    tx.execute("DELETE FROM ownership_rules WHERE id = ?1", [&id])?;
    // Positions stay 1..n, as `truce owners list` numbers them.
    tx.execute(
        "UPDATE ownership_rules SET position = position - 1 WHERE position > ?1",
        [position],
    )?;
    tx.commit()?;
    Ok(())
}

pub fn rules(conn: &Connection) -> Result<Vec<OwnershipRule>> {
    let mut stmt = conn.prepare(
        "SELECT r.id, r.position, r.kind, r.pattern, r.team_id, t.name FROM ownership_rules r
         JOIN teams t ON t.id = r.team_id ORDER BY r.position, r.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(OwnershipRule {
                id: r.get(0)?,
                position: r.get(1)?,
                kind: r.get(2)?,
                pattern: r.get(3)?,
                team_id: r.get(4)?,
                team: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Sets an asset's owner by hand (or clears it with `None`, giving it back to the rules).
pub fn set_owner(ws: &mut Workspace, asset: &str, team: Option<&str>, reason: &str) -> Result<()> {
    let tx = ws.write_tx()?;
    let old: Option<Option<String>> = tx
        .query_row(
            "SELECT owner_team_id FROM assets WHERE id = ?1 OR name = ?1",
            [asset],
            |r| r.get(0),
        )
        .optional()?;
    let Some(_old) = old else {
        return Err(Error::Invalid(format!("no asset '{asset}'")));
    };
    let team_id = team.map(|t| super::team_id(&tx, t)).transpose()?;
    let source = team_id.as_ref().map(|_| "manual");
    crate::changes::because(&tx, reason)?;
    tx.execute(
        "UPDATE assets SET owner_team_id = ?2, owner_source = ?3 WHERE id = ?1 OR name = ?1",
        params![asset, team_id, source],
    )?;
    tx.commit()?;
    Ok(())
}

/// Applies the rules to every asset not owned by hand; logs each owner that changes.
pub(crate) fn apply(conn: &Connection) -> Result<u32> {
    let rules = rules(conn)?;
    if rules.is_empty() {
        // Nothing decides by rule any more: owners that came from rules are cleared, logged.
        crate::changes::because(conn, "no ownership rule left")?;
        let owned: Vec<(String, String)> = conn
            .prepare("SELECT id, owner_team_id FROM assets WHERE owner_source = 'rule'")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, _old) in &owned {
            conn.execute(
                "UPDATE assets SET owner_team_id = NULL, owner_source = NULL WHERE id = ?1",
                [id],
            )?;
        }
        return Ok(owned.len() as u32);
    }
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    let mut names: HashMap<String, Vec<String>> = HashMap::new();
    let mut ips: HashMap<String, Vec<IpAddr>> = HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT asset_id, tag FROM asset_tags")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            tags.entry(r.get(0)?).or_default().push(r.get(1)?);
        }
        let mut stmt = conn.prepare(
            "SELECT asset_id, kind, value FROM asset_identifiers WHERE kind IN ('fqdn','hostname','netbios','ip')",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (asset, kind, value): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if kind == "ip" {
                if let Ok(ip) = value.parse() {
                    ips.entry(asset).or_default().push(ip);
                }
            } else {
                names
                    .entry(asset)
                    .or_default()
                    .push(value.to_ascii_lowercase());
            }
        }
    }
    let cidrs: Vec<Option<(IpAddr, u8)>> = rules.iter().map(|r| parse_cidr(&r.pattern)).collect();
    let mut changed = 0;
    crate::changes::because(conn, "ownership rules")?;
    let mut stmt = conn.prepare(
        "SELECT id, name, environment, owner_team_id, os, criticality, ha_group, internet_facing
         FROM assets WHERE owner_source IS NOT 'manual'",
    )?;
    let assets: Vec<(String, String, Option<String>, Option<String>, Facts)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                Facts {
                    os: r
                        .get::<_, Option<String>>(4)?
                        .map(|o| o.to_ascii_lowercase()),
                    criticality: r.get(5)?,
                    ha_group: r
                        .get::<_, Option<String>>(6)?
                        .map(|g| g.to_ascii_lowercase()),
                    internet_facing: r.get(7)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    let empty = Vec::new();
    for (id, name, env, old, facts) in assets {
        let name = name.to_ascii_lowercase();
        let hit = rules
            .iter()
            .zip(&cidrs)
            .find(|(rule, cidr)| match rule.kind.as_str() {
                "tag" => tags
                    .get(&id)
                    .unwrap_or(&empty)
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&rule.pattern)),
                "environment" => env
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&rule.pattern)),
                "hostname" => {
                    let p = rule.pattern.to_ascii_lowercase();
                    glob(&p, &name)
                        || names
                            .get(&id)
                            .is_some_and(|ns| ns.iter().any(|n| glob(&p, n)))
                }
                "cidr" => cidr.is_some_and(|c| {
                    ips.get(&id)
                        .is_some_and(|v| v.iter().any(|ip| in_cidr(*ip, &c)))
                }),
                // What scanners report varies ("Microsoft Windows Server 2019 Standard"): a glob.
                "os" => facts
                    .os
                    .as_deref()
                    .is_some_and(|os| glob(&rule.pattern.to_ascii_lowercase(), os)),
                "criticality" => facts.criticality.eq_ignore_ascii_case(&rule.pattern),
                "ha_group" => facts
                    .ha_group
                    .as_deref()
                    .is_some_and(|g| glob(&rule.pattern.to_ascii_lowercase(), g)),
                "internet_facing" => facts.internet_facing == (rule.pattern == "yes"),
                _ => false,
            });
        let new = hit.map(|(r, _)| r.team_id.clone());
        if new != old {
            // Prepared once: a first regroup may set the owner of 20,000 assets.
            conn.prepare_cached(
                "UPDATE assets SET owner_team_id = ?2, owner_source = CASE WHEN ?2 IS NULL THEN NULL ELSE 'rule' END WHERE id = ?1",
            )?
            .execute(params![id, new])?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// `*` any run of characters, `?` one character; the whole name must match.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

pub fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = s.trim().split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn in_cidr(ip: IpAddr, (net, bits): &(IpAddr, u8)) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if *bits == 0 {
                0
            } else {
                u32::MAX << (32 - *bits as u32)
            };
            u32::from(a) & mask == u32::from(*n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if *bits == 0 {
                0
            } else {
                u128::MAX << (128 - *bits as u32)
            };
            u128::from(a) & mask == u128::from(*n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_cidrs_match_what_they_say() {
        assert!(glob("qa3app*", "qa3app04"));
        assert!(glob("*.example.com", "web1.example.com"));
        assert!(!glob("*.example.com", "example.com"));
        assert!(glob("web?", "web1") && !glob("web?", "web10"));
        let c = parse_cidr("10.1.0.0/16").unwrap();
        assert!(in_cidr("10.1.200.3".parse().unwrap(), &c));
        assert!(!in_cidr("10.2.0.1".parse().unwrap(), &c));
        assert!(parse_cidr("10.0.0.0/33").is_none() && parse_cidr("nonsense").is_none());
        assert!(in_cidr(
            "192.168.1.1".parse().unwrap(),
            &parse_cidr("0.0.0.0/0").unwrap()
        ));
    }
}
