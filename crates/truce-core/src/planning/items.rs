//! Reading work items (cards with counts, due dates and SLA status; details with history) and
//! the user's split and merge.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::sla::{self, Facts, CLOCK_START_SQL};
use super::states::note;
use super::stats;
use super::types::*;
use crate::error::{Error, Result};
use crate::ids::{new_id, utc_text};
use crate::model::{FindingStatus, Severity};
use crate::Workspace;

fn person(id: Option<String>, name: Option<String>) -> Option<PersonRef> {
    Some(PersonRef {
        id: id?,
        name: name.unwrap_or_default(),
    })
}

/// Every work item, oldest first, with counts, due date and SLA status as of `at`.
pub fn list_items(conn: &Connection, at: DateTime<Utc>) -> Result<Vec<WorkItemCard>> {
    cards(conn, at, None, false)
}

/// `list_items` computed from scratch over every membership, ignoring the stored aggregates:
/// what the stored ones must equal (tests compare the two).
pub fn list_items_recounted(conn: &Connection, at: DateTime<Utc>) -> Result<Vec<WorkItemCard>> {
    cards(conn, at, None, true)
}

/// The cards of the given items (in the list's order; unknown ids are left out).
pub fn cards_of(conn: &Connection, at: DateTime<Utc>, ids: &[String]) -> Result<Vec<WorkItemCard>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(ids).expect("ids serialize");
    cards(conn, at, Some(&json), false)
}

/// `only`: a JSON array of item ids, or None for every item. `recount`: ignore the stored
/// aggregates.
fn cards(
    conn: &Connection,
    at: DateTime<Utc>,
    only: Option<&str>,
    recount: bool,
) -> Result<Vec<WorkItemCard>> {
    let filter = if only.is_some() {
        "WHERE i.id IN (SELECT value FROM json_each(?1))"
    } else {
        "WHERE ?1 IS NULL"
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT i.id, i.title, i.action, i.team_id, t.name, i.environment, i.state,
                i.security_owner_id, ps.name, i.ops_owner_id, po.name, i.approver_id, pa.name,
                i.window_id, cw.name, i.occurrence_start, cw.duration_min, i.group_key, i.pinned,
                (SELECT count(*) FROM commitments c WHERE c.work_item_id = i.id AND c.state = 'missed'),
                (SELECT c.promise FROM commitments c WHERE c.work_item_id = i.id AND c.state = 'open'
                 ORDER BY c.committed_at DESC LIMIT 1)
         FROM work_items i LEFT JOIN teams t ON t.id = i.team_id
         LEFT JOIN people ps ON ps.id = i.security_owner_id LEFT JOIN people po ON po.id = i.ops_owner_id
         LEFT JOIN people pa ON pa.id = i.approver_id LEFT JOIN change_windows cw ON cw.id = i.window_id
         {filter} ORDER BY i.created_at, i.id"
    ))?;
    let mut ends: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut out: Vec<WorkItemCard> = stmt
        .query_map([only], |r| {
            let id: String = r.get(0)?;
            let start: Option<String> = r.get(15)?;
            let dur: Option<i64> = r.get(16)?;
            if let (Some(s), Some(d)) = (&start, dur) {
                if let Ok(s) = DateTime::parse_from_rfc3339(s) {
                    ends.insert(id.clone(), s.to_utc() + chrono::Duration::minutes(d));
                }
            }
            Ok(WorkItemCard {
                id,
                title: r.get(1)?,
                action: r.get(2)?,
                team_id: r.get(3)?,
                team: r.get(4)?,
                environment: r.get(5)?,
                state: ItemState::parse(&r.get::<_, String>(6)?).unwrap_or(ItemState::Backlog),
                severity: Severity::Info,
                known_exploited: false,
                findings: 0,
                findings_fixed: 0,
                assets: 0,
                assets_fixed: 0,
                due_at: None,
                sla: SlaStatus::None,
                security_owner: person(r.get(7)?, r.get(8)?),
                ops_owner: person(r.get(9)?, r.get(10)?),
                approver: person(r.get(11)?, r.get(12)?),
                window_id: r.get(13)?,
                window_name: r.get(14)?,
                occurrence_start: start,
                group_key: r.get(17)?,
                pinned: r.get(18)?,
                missed_commitments: r.get(19)?,
                open_commitment: r.get(20)?,
                hosts: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let ids: Vec<String> = out.iter().map(|c| c.id.clone()).collect();
    let only_ids = only.map(|_| ids.as_slice());
    // Stored aggregates (`stats`); items without a row are recounted (and the rows put back when
    // the connection may write), items under an approved exception get their due date recounted.
    let mut found = if recount {
        stats::compute(conn, only_ids, false, at)?
    } else {
        stats::stored(conn, only_ids)?
    };
    if !recount {
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !found.contains_key(*id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let mut fresh = stats::compute(conn, Some(&missing), false, at)?;
            for id in &missing {
                fresh.entry(id.clone()).or_default();
            }
            put_back(conn, &fresh);
            found.extend(fresh);
        }
    }
    let paused: Vec<String> = stats::paused_items(conn)?
        .into_iter()
        .filter(|id| found.contains_key(id))
        .collect();
    if !paused.is_empty() {
        let live = stats::compute(conn, Some(&paused), true, at)?;
        for id in &paused {
            if let Some(s) = found.get_mut(id) {
                s.due = live.get(id).and_then(|l| l.due);
            }
        }
    }
    let few = few_open_assets(conn, &found)?;
    let names = host_names(conn, few.values())?;
    for c in out.iter_mut() {
        let Some(s) = found.get(&c.id) else { continue };
        if let Some(open) = few.get(&c.id) {
            c.hosts = open.iter().filter_map(|a| names.get(a).cloned()).collect();
            c.hosts.sort();
        }
        c.findings = s.findings;
        c.findings_fixed = s.findings_fixed;
        c.assets = s.assets;
        c.assets_fixed = s.assets_fixed;
        c.severity = s.severity;
        c.known_exploited = s.known_exploited;
        if let Some((due, days)) = s.due {
            c.due_at = Some(utc_text(due));
            c.sla = sla::status(Some(due), days, at, ends.get(&c.id).copied());
        }
    }
    Ok(out)
}

/// The open assets of the items with few enough for a card to name them. Stored aggregates are
/// read without their asset lists (long for big items): only these few are read.
fn few_open_assets(
    conn: &Connection,
    found: &HashMap<String, stats::Stats>,
) -> Result<HashMap<String, Vec<String>>> {
    let few = |s: &stats::Stats| (1..=NAMED_HOSTS as u32).contains(&(s.assets - s.assets_fixed));
    let mut out: HashMap<String, Vec<String>> = found
        .iter()
        .filter(|(_, s)| few(s) && !s.open_assets.is_empty())
        .map(|(id, s)| (id.clone(), s.open_assets.clone()))
        .collect();
    let unread: Vec<String> = found
        .iter()
        .filter(|(id, s)| few(s) && !out.contains_key(*id))
        .map(|(id, _)| id.clone())
        .collect();
    if !unread.is_empty() {
        out.extend(stats::open_assets(conn, Some(&unread))?);
    }
    Ok(out)
}

/// Names of the given assets.
fn host_names<'a>(
    conn: &Connection,
    lists: impl Iterator<Item = &'a Vec<String>>,
) -> Result<HashMap<String, String>> {
    let ids: Vec<&String> = lists.flatten().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let json = serde_json::to_string(&ids).expect("ids serialize");
    let names = conn
        .prepare("SELECT id, name FROM assets WHERE id IN (SELECT value FROM json_each(?1))")?
        .query_map([json], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

/// Writes recounted rows back when the connection can (outside a transaction, or inside one
/// that writes); a reader that cannot write simply recounts again next time. It never waits for
/// the write lock: while another connection writes, the rows are left for later.
fn put_back(conn: &Connection, fresh: &HashMap<String, stats::Stats>) {
    let Ok(wait) = conn.pragma_query_value(None, "busy_timeout", |r| r.get::<_, i64>(0)) else {
        return;
    };
    if conn.pragma_update(None, "busy_timeout", 0).is_err() {
        return;
    }
    if conn.execute_batch("SAVEPOINT put_back_stats").is_ok() {
        match stats::store(conn, fresh) {
            Ok(()) => {
                let _ = conn.execute_batch("RELEASE put_back_stats");
            }
            Err(_) => {
                let _ = conn.execute_batch("ROLLBACK TO put_back_stats; RELEASE put_back_stats");
            }
        }
    }
    let _ = conn.pragma_update(None, "busy_timeout", wait);
}

/// The one item whose id is `id`, or starts or ends with it (the CLI shows the last 8
/// characters: a UUIDv7 starts with its time, shared by items made together).
pub fn resolve_id(conn: &Connection, id: &str) -> Result<String> {
    let clean = id.replace(['%', '_'], "");
    let (prefix, suffix) = (format!("{clean}%"), format!("%{clean}"));
    let found: Vec<String> = conn
        .prepare("SELECT id FROM work_items WHERE id = ?1 OR id LIKE ?2 OR id LIKE ?3 ORDER BY id = ?1 DESC LIMIT 2")?
        .query_map(params![id, prefix, suffix], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [first, _] if first == id => Ok(first.clone()),
        [] => Err(Error::Invalid(format!("no work item '{id}'"))),
        _ => Err(Error::Invalid(format!(
            "'{id}' names more than one work item: give more of its id"
        ))),
    }
}

/// A history entry in people's words: windows and people by name, fields as they call them, no
/// internal keys. (The change log keeps the ids: names change, ids do not.)
fn readable(conn: &Connection, mut h: HistoryEntry) -> Result<HistoryEntry> {
    let lookup = |table: &str, value: &Option<String>| -> Result<Option<String>> {
        let Some(v) = value else { return Ok(None) };
        // Cached: an item's history names the same few windows and people many times.
        let name: Option<String> = conn
            .prepare_cached(&format!("SELECT name FROM {table} WHERE id = ?1"))?
            .query_row([v], |r| r.get(0))
            .optional()?;
        // A deleted window or person still reads as something rather than as nothing.
        Ok(Some(name.unwrap_or_else(|| {
            format!("(deleted, {})", &v[..v.len().min(8)])
        })))
    };
    let (field, table) = match h.field.as_str() {
        "window_id" => ("window", Some("change_windows")),
        "ops_owner_id" => ("ops owner", Some("people")),
        "security_owner_id" => ("security owner", Some("people")),
        "approver_id" => ("approver", Some("people")),
        "occurrence_start" => ("occurrence", None),
        "state" => {
            h.old_value = h.old_value.map(|v| v.replace('_', " "));
            h.new_value = h.new_value.map(|v| v.replace('_', " "));
            ("state", None)
        }
        // The grouping key it was made under means nothing to people; the reason says how.
        "created" => {
            h.new_value = None;
            ("created", None)
        }
        _ => return Ok(h),
    };
    if let Some(table) = table {
        h.old_value = lookup(table, &h.old_value)?;
        h.new_value = lookup(table, &h.new_value)?;
    }
    h.field = field.to_string();
    Ok(h)
}

/// One item with its findings, commitments and history.
pub fn item_detail(conn: &Connection, id: &str, at: DateTime<Utc>) -> Result<WorkItemDetail> {
    let item = cards_of(conn, at, &[id.to_string()])?
        .pop()
        .ok_or_else(|| Error::Invalid(format!("no work item '{id}'")))?;
    let policies = sla::policies(conn)?;
    let now_text = utc_text(at);
    let mut stmt = conn.prepare(&format!(
        "SELECT f.id, a.id, a.name, v.title, f.severity, f.status, f.first_seen, v.known_exploited,
                a.internet_facing, a.criticality, {CLOCK_START_SQL}, v.exploit_available, v.epss
         FROM work_item_findings w JOIN findings f ON f.id = w.finding_id
         JOIN vulnerabilities v ON v.id = f.vulnerability_id JOIN assets a ON a.id = f.asset_id
         WHERE w.work_item_id = ?2 ORDER BY a.name, v.title, f.location"
    ))?;
    let findings = stmt
        .query_map(params![now_text, id], |r| {
            let severity = Severity::parse(&r.get::<_, String>(4)?).unwrap_or(Severity::Info);
            let status =
                FindingStatus::parse(&r.get::<_, String>(5)?).unwrap_or(FindingStatus::Open);
            let crit: String = r.get(9)?;
            let facts = Facts {
                severity,
                known_exploited: r.get(7)?,
                internet_facing: r.get(8)?,
                criticality: &crit,
            };
            let due = sla::allowed_days(&policies, facts)
                .map(|d| utc_text(sla::due(r.get::<_, f64>(10).unwrap_or(0.0), d)));
            Ok(ItemFinding {
                id: r.get(0)?,
                asset_id: r.get(1)?,
                asset: r.get(2)?,
                title: r.get(3)?,
                severity,
                status,
                first_seen: r.get(6)?,
                due_at: due.filter(|_| status == FindingStatus::Open),
                known_exploited: r.get(7)?,
                exploit_available: r.get(11)?,
                epss: r.get(12)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let commitments = conn
        .prepare(
            "SELECT c.id, c.window_id, c.occurrence_start, coalesce(p.name, c.committed_by), c.committed_at, c.promise, c.state
             FROM commitments c LEFT JOIN people p ON p.id = c.committed_by WHERE c.work_item_id = ?1 ORDER BY c.committed_at",
        )?
        .query_map([id], |r| {
            Ok(CommitmentRow { id: r.get(0)?, window_id: r.get(1)?, occurrence_start: r.get(2)?, committed_by: r.get(3)?, committed_at: r.get(4)?, promise: r.get(5)?, state: r.get(6)? })
        })?
        .collect::<Result<_, _>>()?;
    let history = conn
        .prepare(&format!(
            // Bookkeeping columns change with every edit and say nothing to people.
            "SELECT c.at, COALESCE(p.name, c.actor), c.field, CAST(c.old_value AS TEXT), CAST(c.new_value AS TEXT), c.reason,
                    nullif(c.device, (SELECT id FROM device)), c.lost
             FROM change_log c LEFT JOIN people p ON p.id = c.actor
             WHERE c.entity = 'work_item' AND c.entity_id = ?1
               AND c.field NOT IN ('updated_at', 'created_at', 'group_key', 'pinned')
               AND c.{history}
             ORDER BY c.seq",
            history = crate::changes::HISTORY_SQL
        ))?
        .query_map([id], |r| {
            Ok(HistoryEntry {
                at: r.get(0)?,
                actor: r.get(1)?,
                field: r.get(2)?,
                old_value: r.get(3)?,
                new_value: r.get(4)?,
                reason: r.get(5)?,
                device: r.get(6)?,
                set_aside: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|h| readable(conn, h))
        .collect::<Result<_>>()?;
    Ok(WorkItemDetail {
        item,
        findings,
        commitments,
        history,
    })
}

pub(super) fn splittable(conn: &Connection, item: &str) -> Result<()> {
    let state: Option<String> = conn
        .query_row("SELECT state FROM work_items WHERE id = ?1", [item], |r| {
            r.get(0)
        })
        .ok();
    // An exception names its item and covers its findings: moving findings out of it (or
    // deleting it in a merge) would leave them accepted with nothing to expire them.
    let excepted: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM exceptions WHERE work_item_id = ?1 AND state IN ('requested','approved'))",
        [item],
        |r| r.get(0),
    )?;
    if excepted && state.is_some() {
        return Err(Error::Invalid(
            "the item has an exception awaiting a decision or in force: its findings stay together until it is decided or expires".into(),
        ));
    }
    match state.as_deref() {
        None => Err(Error::Invalid(format!("no work item '{item}'"))),
        Some("backlog" | "proposed" | "deferred") => Ok(()),
        Some(s) => Err(Error::Invalid(format!(
            "a {s} item keeps its findings: unschedule it first"
        ))),
    }
}

/// Items with the same action as `id` that a merge could take (waiting, not placed).
pub fn merge_candidates(ws: &Workspace, id: &str) -> Result<Vec<ItemRef>> {
    let mut stmt = ws.conn().prepare(
        "SELECT o.id, o.title, o.environment, (SELECT count(*) FROM work_item_findings w WHERE w.work_item_id = o.id)
         FROM work_items i JOIN work_items o ON o.action = i.action AND o.id <> i.id
         WHERE i.id = ?1 AND o.state IN ('backlog','proposed','deferred') ORDER BY o.title, o.id LIMIT 50",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok(ItemRef {
                id: r.get(0)?,
                title: r.get(1)?,
                environment: r.get(2)?,
                findings: r.get(3)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    Ok(rows)
}

/// Moves `findings` of `item` to a new item with the same fix, team and environment. Both are
/// pinned: regrouping keeps this decision. Returns the new item's id.
pub fn split(
    ws: &mut Workspace,
    item: &str,
    findings: &[String],
    actor: &str,
    reason: &str,
) -> Result<String> {
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    let id = split_tx(&tx, item, findings, None, (actor, &at), reason)?;
    stats::refresh(&tx)?;
    tx.commit()?;
    Ok(id)
}

/// [`split`] inside the caller's transaction; `title` names the new item (else it keeps the
/// item's title). The caller refreshes the aggregates.
pub(super) fn split_tx(
    tx: &Connection,
    item: &str,
    findings: &[String],
    title: Option<&str>,
    by: (&str, &str),
    reason: &str,
) -> Result<String> {
    let (actor, at) = by;
    crate::changes::because(tx, reason)?;
    crate::changes::acting(tx, actor)?;
    splittable(tx, item)?;
    let total: u32 = tx.query_row(
        "SELECT count(*) FROM work_item_findings WHERE work_item_id = ?1",
        [item],
        |r| r.get(0),
    )?;
    let mut moved = 0;
    let id = new_id();
    tx.execute(
        "INSERT INTO work_items (id, title, action, team_id, environment, state, security_owner_id, ops_owner_id, approver_id, group_key, pinned, created_at, updated_at)
         SELECT ?2, COALESCE(?4, title), action, team_id, environment, 'backlog', security_owner_id, ops_owner_id, approver_id, group_key, 1, ?3, ?3 FROM work_items WHERE id = ?1",
        params![item, id, at, title],
    )?;
    for f in findings {
        let n = tx.execute("UPDATE work_item_findings SET work_item_id = ?3 WHERE work_item_id = ?1 AND finding_id = ?2", params![item, f, id])?;
        if n == 0 {
            return Err(Error::Invalid(format!(
                "finding '{f}' is not in item {item}"
            )));
        }
        moved += 1;
    }
    if moved == 0 || moved == total {
        return Err(Error::Invalid(
            "a split moves some, not none or all, of the item's findings".into(),
        ));
    }
    tx.execute(
        "UPDATE work_items SET pinned = 1, updated_at = ?2 WHERE id = ?1",
        params![item, at],
    )?;
    note(
        tx,
        item,
        "split",
        &format!("{moved} findings to {id}"),
        reason,
    )?;
    Ok(id)
}

/// Moves every finding of `from` into `into` and removes `from`; `into` is pinned.
pub fn merge(
    ws: &mut Workspace,
    into: &str,
    from: &[String],
    actor: &str,
    reason: &str,
) -> Result<()> {
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    crate::changes::because(&tx, reason)?;
    crate::changes::acting(&tx, actor)?;
    splittable(&tx, into)?;
    // Pinned first: moved memberships of a pinned item are a person's decision, and recorded.
    tx.execute(
        "UPDATE work_items SET pinned = 1, updated_at = ?2 WHERE id = ?1",
        params![into, at],
    )?;
    for f in from {
        if f == into {
            return Err(Error::Invalid(
                "an item cannot be merged into itself".into(),
            ));
        }
        splittable(&tx, f)?;
        let n = tx.execute(
            "UPDATE work_item_findings SET work_item_id = ?2 WHERE work_item_id = ?1",
            params![f, into],
        )?;
        tx.execute("DELETE FROM work_items WHERE id = ?1", [f])?;
        note(
            &tx,
            into,
            "merge",
            &format!("{n} findings from {f}"),
            reason,
        )?;
    }
    stats::refresh(&tx)?;
    tx.commit()?;
    Ok(())
}
