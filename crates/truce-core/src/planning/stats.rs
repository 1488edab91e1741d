//! Per-item aggregates (`work_item_stats`): what a card shows about an item's findings — counts,
//! assets done, highest severity, known exploited, earliest due date — and the item's open
//! assets (what the scheduling rules need), kept so that a board of 10,000 items is read without
//! a pass over a million memberships.
//!
//! A row is a cache of [`compute`]. Triggers (migration 0008) delete the row of every item whose
//! inputs change, whoever changes them; readers recount items without a row, and writers call
//! [`refresh`] before they commit. The due date stored is the one with the clock started at
//! first seen: items touched by an approved exception (whose paused time grows with "now") get
//! theirs recounted on every read, which is cheap because exceptions are few.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::sla::{self, Facts, CLOCK_START_SQL};
use crate::error::Result;
use crate::ids::utc_text;
use crate::model::Severity;

/// What one item's findings add up to.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub findings: u32,
    pub findings_fixed: u32,
    pub assets: u32,
    pub assets_fixed: u32,
    pub severity: Severity,
    pub known_exploited: bool,
    /// Earliest due time of the open findings, with the allowed days of that finding. On a tie,
    /// the fewer days.
    pub due: Option<(DateTime<Utc>, u32)>,
    /// Assets with an open finding in the item, sorted.
    pub open_assets: Vec<String>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            findings: 0,
            findings_fixed: 0,
            assets: 0,
            assets_fixed: 0,
            severity: Severity::Info,
            known_exploited: false,
            due: None,
            open_assets: Vec::new(),
        }
    }
}

/// A text column borrowed from the row (no copy per row of a million).
fn text<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<&'a str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
            .into()
    })
}

pub(crate) fn rank(s: Severity) -> usize {
    Severity::ALL.iter().position(|x| *x == s).unwrap_or(4)
}

/// The earlier of two dues; on the same time, the fewer allowed days.
pub(crate) fn earlier(
    a: Option<(DateTime<Utc>, u32)>,
    b: Option<(DateTime<Utc>, u32)>,
) -> Option<(DateTime<Utc>, u32)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Recounts the given items (every item when `only` is None) from their memberships, with the
/// clock of each open finding started at first seen, or, `paused`, moved on by the time approved
/// exceptions paused it as of `at`. Items without findings are left out.
pub fn compute(
    conn: &Connection,
    only: Option<&[String]>,
    paused: bool,
    at: DateTime<Utc>,
) -> Result<HashMap<String, Stats>> {
    let policies = sla::policies(conn)?;
    let clock = if paused {
        CLOCK_START_SQL
    } else {
        "julianday(f.first_seen) + (?1 IS NULL)"
    };
    let json = only.map(|ids| serde_json::to_string(ids).expect("ids serialize"));
    let item_filter = if only.is_some() {
        "w.work_item_id IN (SELECT value FROM json_each(?2))"
    } else {
        "?2 IS NULL"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT w.work_item_id, f.asset_id, f.status, f.severity, v.known_exploited, a.internet_facing,
                a.criticality, CASE WHEN f.status = 'open' THEN {clock} END
         FROM work_item_findings w JOIN findings f ON f.id = w.finding_id
         JOIN vulnerabilities v ON v.id = f.vulnerability_id JOIN assets a ON a.id = f.asset_id
         WHERE {item_filter}"
    ))?;
    struct Acc {
        stats: Stats,
        rank: usize,
        assets: HashMap<String, bool>,
    }
    let mut acc: HashMap<String, Acc> = HashMap::new();
    let mut days_of: HashMap<(Severity, bool, bool, String), Option<u32>> = HashMap::new();
    let mut rows = stmt.query(params![utc_text(at), json])?;
    let mut last: Option<String> = None;
    let mut cur: Option<Acc> = None;
    while let Some(r) = rows.next()? {
        let item = text(r, 0)?;
        if last.as_deref() != Some(item) {
            if let (Some(id), Some(a)) = (last.take(), cur.take()) {
                acc.insert(id, a);
            }
            cur = Some(acc.remove(item).unwrap_or(Acc {
                stats: Stats::default(),
                rank: 4,
                assets: HashMap::new(),
            }));
            last = Some(item.to_string());
        }
        let a = cur.as_mut().expect("current item");
        let asset = text(r, 1)?;
        let status = text(r, 2)?;
        let done = status == "fixed" || status == "false_positive";
        let severity = Severity::parse(text(r, 3)?).unwrap_or(Severity::Info);
        let kev: bool = r.get(4)?;
        a.stats.findings += 1;
        a.stats.findings_fixed += done as u32;
        a.stats.known_exploited |= kev;
        a.rank = a.rank.min(rank(severity));
        match a.assets.get_mut(asset) {
            Some(open) => *open |= !done,
            None => {
                a.assets.insert(asset.to_string(), !done);
            }
        }
        let Some(start) = r.get::<_, Option<f64>>(7)? else {
            continue;
        };
        let (inet, crit): (bool, &str) = (r.get(5)?, text(r, 6)?);
        let key = (severity, kev, inet, crit.to_string());
        let days = *days_of.entry(key).or_insert_with(|| {
            let facts = Facts {
                severity,
                known_exploited: kev,
                internet_facing: inet,
                criticality: crit,
            };
            sla::allowed_days(&policies, facts)
        });
        if let Some(days) = days {
            a.stats.due = earlier(a.stats.due, Some((sla::due(start, days), days)));
        }
    }
    if let (Some(id), Some(a)) = (last, cur) {
        acc.insert(id, a);
    }
    Ok(acc
        .into_iter()
        .map(|(id, a)| {
            let mut s = a.stats;
            s.severity = Severity::ALL[a.rank];
            s.assets = a.assets.len() as u32;
            s.assets_fixed = a.assets.values().filter(|open| !**open).count() as u32;
            let mut open: Vec<String> = a
                .assets
                .into_iter()
                .filter(|(_, open)| *open)
                .map(|(id, _)| id)
                .collect();
            open.sort();
            s.open_assets = open;
            (id, s)
        })
        .collect())
}

/// Items whose due date depends on an approved exception (its paused time grows with now).
pub fn paused_items(conn: &Connection) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare(
        "SELECT e.work_item_id FROM exceptions e WHERE e.approved_at IS NOT NULL AND e.work_item_id IS NOT NULL
         UNION SELECT w.work_item_id FROM exceptions e CROSS JOIN work_item_findings w ON w.finding_id = e.finding_id
         WHERE e.approved_at IS NOT NULL",
    )?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Writes the rows of `stats` (replacing any).
pub fn store(conn: &Connection, stats: &HashMap<String, Stats>) -> Result<()> {
    let mut put = conn.prepare_cached(
        "INSERT OR REPLACE INTO work_item_stats (work_item_id, findings, findings_fixed, assets, assets_fixed,
            severity, known_exploited, due_at, due_days, open_assets)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (id, s) in stats {
        put.execute(params![
            id,
            s.findings,
            s.findings_fixed,
            s.assets,
            s.assets_fixed,
            s.severity.as_str(),
            s.known_exploited,
            s.due.map(|(d, _)| utc_text(d)),
            s.due.map(|(_, days)| days),
            s.open_assets.join(","),
        ])?;
    }
    Ok(())
}

/// Items without a row (their inputs changed since it was written).
pub fn stale(conn: &Connection) -> Result<Vec<String>> {
    let ids = conn
        .prepare(
            "SELECT id FROM work_items i
             WHERE NOT EXISTS (SELECT 1 FROM work_item_stats s WHERE s.work_item_id = i.id)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Recounts the items without a row and writes theirs; returns how many. Writers call it before
/// they commit, so readers find every row.
pub fn refresh(conn: &Connection) -> Result<usize> {
    let ids = stale(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    let mut found = compute(conn, Some(&ids), false, crate::changes::now_time(conn)?)?;
    for id in &ids {
        found.entry(id.clone()).or_default();
    }
    store(conn, &found)?;
    Ok(ids.len())
}

/// The filter of a statement over `work_item_stats` for `only` (bound as `?1`, JSON, or NULL).
fn subset(only: Option<&[String]>) -> &'static str {
    match only {
        Some(_) => "WHERE work_item_id IN (SELECT value FROM json_each(?1))",
        None => "WHERE ?1 IS NULL",
    }
}

/// The stored rows of the given items (all when `only` is None): item id → stats without
/// `open_assets` (read by [`open_assets`]).
pub fn stored(conn: &Connection, only: Option<&[String]>) -> Result<HashMap<String, Stats>> {
    let json = only.map(|ids| serde_json::to_string(ids).expect("ids serialize"));
    // Two statements, not "?1 IS NULL OR ...": the OR would keep SQLite from the primary key
    // and read every row (with its open assets) for one item.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT work_item_id, findings, findings_fixed, assets, assets_fixed, severity, known_exploited,
                due_at, due_days
         FROM work_item_stats {}",
        subset(only)
    ))?;
    let rows = stmt.query_map([json], |r| {
        let due: Option<String> = r.get(7)?;
        let days: Option<u32> = r.get(8)?;
        let due = match (due.as_deref().map(DateTime::parse_from_rfc3339), days) {
            (Some(Ok(d)), Some(days)) => Some((d.to_utc(), days)),
            _ => None,
        };
        Ok((
            r.get::<_, String>(0)?,
            Stats {
                findings: r.get(1)?,
                findings_fixed: r.get(2)?,
                assets: r.get(3)?,
                assets_fixed: r.get(4)?,
                severity: Severity::parse(&r.get::<_, String>(5)?).unwrap_or(Severity::Info),
                known_exploited: r.get(6)?,
                due,
                open_assets: Vec::new(),
            },
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Open assets of the given items (all when `only` is None) from the stored rows; items
/// without a row are recounted. Item id → sorted asset ids; items with none are left out.
pub fn open_assets(
    conn: &Connection,
    only: Option<&[String]>,
) -> Result<HashMap<String, Vec<String>>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    visit_open_assets(conn, only, |id, list| {
        out.insert(id.to_string(), list.split(',').map(String::from).collect());
    })?;
    Ok(out)
}

/// `open_assets` without building a string per (item, asset) pair: `visit(item id, asset ids
/// joined by ',')` for every item with open assets, once each.
pub fn visit_open_assets(
    conn: &Connection,
    only: Option<&[String]>,
    mut visit: impl FnMut(&str, &str),
) -> Result<()> {
    let json = only.map(|ids| serde_json::to_string(ids).expect("ids serialize"));
    let mut seen: HashSet<String> = HashSet::new();
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT work_item_id, open_assets FROM work_item_stats {}",
            subset(only)
        ))?;
        let mut rows = stmt.query([&json])?;
        while let Some(r) = rows.next()? {
            let id = text(r, 0)?;
            let list = text(r, 1)?;
            if !list.is_empty() {
                visit(id, list);
            }
            if only.is_some() {
                seen.insert(id.to_string());
            }
        }
    }
    let missing: Vec<String> = match only {
        Some(ids) => ids.iter().filter(|i| !seen.contains(*i)).cloned().collect(),
        None => stale(conn)?,
    };
    if !missing.is_empty() {
        for (id, s) in compute(conn, Some(&missing), false, crate::changes::now_time(conn)?)? {
            if !s.open_assets.is_empty() {
                visit(&id, &s.open_assets.join(","));
            }
        }
    }
    Ok(())
}
