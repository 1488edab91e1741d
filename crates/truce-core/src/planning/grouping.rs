//! Grouping open findings into work items: one fix x one owner team x one environment by default.
//!
//! Regrouping is idempotent and keeps people's decisions. Only automatic items still in the
//! backlog (not pinned by a split, merge or edit) are rebuilt: an open finding whose key no
//! longer fits leaves such an item, and an item left empty is removed. Every open, plannable
//! finding in no item then joins the oldest item with its key that is not done or verified, or
//! a new one. Fixed findings stay where they are, so an item can say "9 of 10 hosts done".

use std::collections::HashMap;

use rusqlite::{params, Connection, Transaction};

use super::fixkey::fix_key;
use super::types::{GroupingRules, RegroupItem, RegroupReport};
use crate::changelog::{record, Change};
use crate::error::Result;
use crate::ids::{new_id, now};
use crate::Workspace;

pub fn rules(conn: &Connection) -> Result<GroupingRules> {
    let mut r = GroupingRules::default();
    let mut stmt = conn.prepare("SELECT name, value FROM grouping_rules")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let (name, value): (String, String) = (row.get(0)?, row.get(1)?);
        let on = value == "1";
        match name.as_str() {
            "by_team" => r.by_team = on,
            "by_environment" => r.by_environment = on,
            "include_info" => r.include_info = on,
            _ => {}
        }
    }
    Ok(r)
}

fn store_rules(conn: &Connection, r: GroupingRules, actor: &str, at: &str) -> Result<()> {
    let old = rules(conn)?;
    for (name, was, now) in [
        ("by_team", old.by_team, r.by_team),
        ("by_environment", old.by_environment, r.by_environment),
        ("include_info", old.include_info, r.include_info),
    ] {
        if was != now {
            let v = if now { "1" } else { "0" };
            conn.execute(
                "INSERT OR REPLACE INTO grouping_rules (name, value) VALUES (?1, ?2)",
                params![name, v],
            )?;
            let w = if was { "1" } else { "0" };
            record(conn, actor, at, &Change { entity: "grouping_rule", entity_id: name, field: "value", old: Some(w), new: Some(v), reason: None })?;
        }
    }
    Ok(())
}

/// Saves new grouping rules and regroups under them, in one transaction.
pub fn set_rules(ws: &mut Workspace, r: GroupingRules) -> Result<RegroupReport> {
    let actor = ws.actor().to_string();
    let at = now();
    let tx = ws.write_tx()?;
    store_rules(&tx, r, &actor, &at)?;
    let report = regroup_tx(&tx, &actor, &at)?;
    tx.commit()?;
    Ok(report)
}

/// Regroups now and commits.
pub fn regroup(ws: &mut Workspace) -> Result<RegroupReport> {
    let actor = ws.actor().to_string();
    let at = now();
    let tx = ws.write_tx()?;
    let report = regroup_tx(&tx, &actor, &at)?;
    tx.commit()?;
    Ok(report)
}

/// What a regroup would do, under `rules` (or the saved ones), without changing anything:
/// the same code runs in a transaction that is rolled back.
pub fn regroup_preview(ws: &mut Workspace, rules: Option<GroupingRules>) -> Result<RegroupReport> {
    let actor = ws.actor().to_string();
    let at = now();
    let tx = ws.write_tx()?;
    if let Some(r) = rules {
        store_rules(&tx, r, &actor, &at)?;
    }
    let mut report = regroup_tx(&tx, &actor, &at)?;
    tx.rollback()?;
    report.preview = true;
    Ok(report)
}

/// The SQL expressions of a finding's fix, team and environment (over `f`, `a`, `vk`).
fn key_sql(r: GroupingRules) -> (String, String, String, String) {
    let fix = "CASE WHEN vk.fixed AND instr(f.location, '@') > 1
                    THEN 'pkg:' || lower(substr(f.location, 1, instr(f.location, '@') - 1))
                    ELSE vk.fix_key END"
        .to_string();
    let team = if r.by_team { "coalesce(a.owner_team_id, '')" } else { "''" }.to_string();
    let env = if r.by_environment { "coalesce(a.environment, '')" } else { "''" }.to_string();
    let key = format!("({fix}) || ' | team=' || {team} || ' | env=' || {env}");
    (fix, team, env, key)
}

pub(crate) fn regroup_tx(tx: &Transaction<'_>, actor: &str, at: &str) -> Result<RegroupReport> {
    let r = rules(tx)?;
    super::exceptions::expire_tx(tx, actor, at)?;
    super::ownership::apply(tx, actor, at)?;
    fill_fix_keys(tx)?;
    let (fix, team, env, key) = key_sql(r);
    let plannable = if r.include_info { "1" } else { "f.severity <> 'info'" };
    let mut report = RegroupReport::default();

    // 1. Open findings that no longer fit their automatic backlog item leave it.
    tx.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.planning_left;
         CREATE TEMP TABLE planning_left AS
           SELECT w.work_item_id AS item, w.finding_id AS finding
           FROM work_items i JOIN work_item_findings w ON w.work_item_id = i.id
           JOIN findings f ON f.id = w.finding_id JOIN assets a ON a.id = f.asset_id
           JOIN planning_vk vk ON vk.vulnerability_id = f.vulnerability_id
           WHERE i.state = 'backlog' AND i.pinned = 0 AND f.status = 'open'
             AND (NOT ({plannable}) OR i.group_key IS NOT {key});
         DELETE FROM work_item_findings WHERE finding_id IN (SELECT finding FROM planning_left);"
    ))?;
    let left = counts(tx, "SELECT item, count(*) FROM planning_left GROUP BY item")?;
    for (item, n) in &left {
        report.left += n;
        let reason = format!("regroup: {n} findings no longer match this item's key");
        record(tx, actor, at, &Change { entity: "work_item", entity_id: item, field: "findings", old: None, new: Some(&format!("-{n}")), reason: Some(&reason) })?;
    }

    // 2. Plannable open findings in no item, by key.
    let unassigned = format!(
        "FROM findings f JOIN assets a ON a.id = f.asset_id
         JOIN planning_vk vk ON vk.vulnerability_id = f.vulnerability_id
         WHERE f.status = 'open' AND {plannable}
           AND NOT EXISTS (SELECT 1 FROM work_item_findings w WHERE w.finding_id = f.id)"
    );
    struct Group {
        key: String,
        team: String,
        env: String,
        action: String,
        title: String,
        n: u32,
    }
    let groups: Vec<Group> = tx
        .prepare(&format!(
            "SELECT {key}, {team}, {env}, {fix}, count(*), min(vk.action), min(vk.title), max(vk.fixed_version), count(DISTINCT f.vulnerability_id)
             {unassigned} GROUP BY 1 ORDER BY 1"
        ))?
        .query_map([], |row| {
            let fix: String = row.get(3)?;
            let distinct: i64 = row.get(8)?;
            let mut action: String = row.get(5)?;
            let mut title: String = row.get(6)?;
            if let Some(pkg) = fix.strip_prefix("pkg:") {
                let fixed: Option<String> = row.get(7)?;
                action = format!("Upgrade {pkg} to {}", fixed.unwrap_or_else(|| "a fixed version".into()));
                title = action.clone();
            } else if distinct > 1 {
                title = action.clone();
            }
            Ok(Group { key: row.get(0)?, team: row.get(1)?, env: row.get(2)?, action, title, n: row.get(4)? })
        })?
        .collect::<Result<_, _>>()?;
    tx.execute_batch(
        "DROP TABLE IF EXISTS temp.planning_target;
         CREATE TEMP TABLE planning_target (key TEXT PRIMARY KEY, item TEXT NOT NULL) WITHOUT ROWID;",
    )?;
    {
        let mut find = tx.prepare(
            "SELECT id FROM work_items WHERE group_key = ?1 AND state NOT IN ('done','verified')
             ORDER BY created_at, id LIMIT 1",
        )?;
        let mut create = tx.prepare(
            "INSERT INTO work_items (id, title, action, team_id, environment, group_key, created_at, updated_at)
             VALUES (?1, ?2, ?3, nullif(?4, ''), nullif(?5, ''), ?6, ?7, ?7)",
        )?;
        let mut target = tx.prepare("INSERT INTO planning_target (key, item) VALUES (?1, ?2)")?;
        for g in &groups {
            let existing: Option<String> = find.query_map([&g.key], |r| r.get(0))?.next().transpose()?;
            let item = match existing {
                Some(id) => {
                    report.joined += g.n;
                    let reason = format!("regroup: {} new findings joined", g.n);
                    record(tx, actor, at, &Change { entity: "work_item", entity_id: &id, field: "findings", old: None, new: Some(&format!("+{}", g.n)), reason: Some(&reason) })?;
                    id
                }
                None => {
                    let id = new_id();
                    create.execute(params![id, g.title, g.action, g.team, g.env, g.key, at])?;
                    record(tx, actor, at, &Change { entity: "work_item", entity_id: &id, field: "created", old: None, new: Some(&g.key), reason: Some(&format!("regroup: {} findings", g.n)) })?;
                    report.created.push(RegroupItem {
                        action: g.action.clone(),
                        team_id: (!g.team.is_empty()).then(|| g.team.clone()),
                        environment: (!g.env.is_empty()).then(|| g.env.clone()),
                        findings: g.n,
                    });
                    id
                }
            };
            target.execute(params![g.key, item])?;
        }
    }
    if !groups.is_empty() {
        tx.execute_batch(&format!(
            "INSERT INTO work_item_findings (work_item_id, finding_id)
             SELECT t.item, f.id {unassigned_join} ORDER BY t.item;",
            unassigned_join = unassigned.replacen(
                "WHERE",
                &format!("JOIN planning_target t ON t.key = {key} WHERE"),
                1
            )
        ))?;
    }

    // 3. Automatic backlog items with nothing left in them go.
    let empty: Vec<String> = tx
        .prepare(
            "SELECT id FROM work_items i WHERE state = 'backlog' AND pinned = 0
             AND NOT EXISTS (SELECT 1 FROM work_item_findings w WHERE w.work_item_id = i.id)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &empty {
        tx.execute("DELETE FROM work_items WHERE id = ?1", [id])?;
        record(tx, actor, at, &Change { entity: "work_item", entity_id: id, field: "removed", old: None, new: None, reason: Some("regroup: no finding left") })?;
    }
    report.removed = empty.len() as u32;
    report.items = tx.query_row("SELECT count(*) FROM work_items", [], |r| r.get(0))?;
    Ok(report)
}

fn counts(conn: &Connection, sql: &str) -> Result<HashMap<String, u32>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// `temp.planning_vk`: each vulnerability's fix key and action, computed in Rust.
fn fill_fix_keys(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.planning_vk;
         CREATE TEMP TABLE planning_vk (vulnerability_id TEXT PRIMARY KEY, fix_key TEXT NOT NULL,
            action TEXT NOT NULL, title TEXT NOT NULL, fixed INTEGER NOT NULL, fixed_version TEXT) WITHOUT ROWID;",
    )?;
    let mut read = conn.prepare(
        "SELECT id, scanner, scanner_id, title, solution, fixed_version FROM vulnerabilities",
    )?;
    let mut write = conn.prepare(
        "INSERT INTO planning_vk (vulnerability_id, fix_key, action, title, fixed, fixed_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut rows = read.query([])?;
    while let Some(r) = rows.next()? {
        let (id, scanner, sid, title): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let solution: Option<String> = r.get(4)?;
        let fixed: Option<String> = r.get(5)?;
        let fixed = fixed.filter(|v| !v.trim().is_empty());
        let (key, action) = fix_key(&scanner, &sid, &title, solution.as_deref());
        write.execute(params![id, key, action, title, fixed.is_some(), fixed])?;
    }
    Ok(())
}
