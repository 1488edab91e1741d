//! Grouping open findings into work items: one fix x one owner team x one environment by default.
//!
//! Regrouping is idempotent and keeps people's decisions. Only automatic items still in the
//! backlog (not pinned by a split, merge or edit) are rebuilt: an open finding whose key no
//! longer fits leaves such an item, and an item left empty is removed. Every open, plannable
//! finding in no item then joins the oldest item with its key that is not done or verified, or
//! a new one. Fixed findings stay where they are, so an item can say "9 of 10 hosts done".

use std::collections::BTreeMap;

// Fx hashing for the maps a regroup looks up once or more per finding (a million times): the
// keys are our own ids and texts, and nothing hashed this way is stored.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rusqlite::{params, Connection, Transaction};

use super::fixkey::{fix_key, os_family, version_cmp};
use super::stats::Stats;
use super::types::{GroupingRules, RegroupItem, RegroupReport};
use crate::error::Result;
use crate::ids::new_id;
use crate::model::Severity;
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
            "by_os_family" => r.by_os_family = on,
            "include_info" => r.include_info = on,
            _ => {}
        }
    }
    Ok(r)
}

fn store_rules(conn: &Connection, r: GroupingRules) -> Result<()> {
    let old = rules(conn)?;
    for (name, was, now) in [
        ("by_team", old.by_team, r.by_team),
        ("by_environment", old.by_environment, r.by_environment),
        ("by_os_family", old.by_os_family, r.by_os_family),
        ("include_info", old.include_info, r.include_info),
    ] {
        if was != now {
            let v = if now { "1" } else { "0" };
            conn.execute(
                "INSERT OR REPLACE INTO grouping_rules (name, value) VALUES (?1, ?2)",
                params![name, v],
            )?;
        }
    }
    Ok(())
}

/// Saves new grouping rules and regroups under them, in one transaction.
pub fn set_rules(ws: &mut Workspace, r: GroupingRules) -> Result<RegroupReport> {
    let actor = ws.actor().to_string();
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    store_rules(&tx, r)?;
    let report = regroup_tx(&tx, &actor, &at)?;
    tx.commit()?;
    Ok(report)
}

/// Regroups now and commits.
pub fn regroup(ws: &mut Workspace) -> Result<RegroupReport> {
    let actor = ws.actor().to_string();
    let at = ws.now_text();
    // A first regroup files up to a million memberships: like an import, it commits into the
    // write-ahead log, and the pages are copied into the database file later (the caller's
    // background checkpoint after an import, the next write, or closing the workspace).
    ws.defer_checkpoints(true)?;
    let result = (|| {
        let tx = ws.write_tx()?;
        let report = regroup_tx(&tx, &actor, &at)?;
        tx.commit()?;
        Ok(report)
    })();
    ws.defer_checkpoints(false)?;
    result
}

/// Regroups when the workspace has work items (planning is in use), else does nothing.
pub fn regroup_if_planning(ws: &mut Workspace) -> Result<Option<RegroupReport>> {
    let any: bool = ws
        .conn()
        .query_row("SELECT EXISTS (SELECT 1 FROM work_items)", [], |r| r.get(0))?;
    if any {
        regroup(ws).map(Some)
    } else {
        Ok(None)
    }
}

/// What a regroup would do, under `rules` (or the saved ones), without changing anything:
/// the same code runs in a transaction that is rolled back.
pub fn regroup_preview(ws: &mut Workspace, rules: Option<GroupingRules>) -> Result<RegroupReport> {
    let actor = ws.actor().to_string();
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    if let Some(r) = rules {
        store_rules(&tx, r)?;
    }
    let mut report = regroup_tx(&tx, &actor, &at)?;
    tx.rollback()?;
    report.preview = true;
    Ok(report)
}

/// Fix keys, asset parts (team and environment) and package keys numbered for this regroup,
/// so a million findings are grouped on integers rather than strings.
struct Keys {
    /// fix gid -> the fix
    fixes: Vec<FixGroup>,
    fix_ids: HashMap<String, i64>,
    /// part gid -> (team id, environment, operating system family), '' for none
    parts: Vec<(String, String, String)>,
    part_ids: HashMap<String, i64>,
    /// vulnerability id -> (fix gid, known exploited)
    vulns: HashMap<String, (i64, bool)>,
    /// package name -> (operating system family, fix gid)
    pkgs: HashMap<String, Vec<(String, i64)>>,
    /// asset id -> index in `asset_list`
    assets: HashMap<String, u32>,
    /// (asset id, part gid, internet facing, criticality index in `criticalities`)
    asset_list: Vec<(String, i64, bool, usize)>,
    criticalities: Vec<String>,
}

/// One fix of this regroup: its key, the action and title a new item gets, how many
/// vulnerabilities share it, and the highest version an upgrade names (whose action it keeps).
struct FixGroup {
    key: String,
    action: String,
    title: String,
    vulns: u32,
    version: Option<String>,
}

const PART_BASE: i64 = 1 << 32;

fn part_text(team: &str, env: &str, os: &str) -> String {
    if os.is_empty() {
        format!(" | team={team} | env={env}")
    } else {
        format!(" | team={team} | env={env} | os={os}")
    }
}

impl Keys {
    fn key(&self, g: i64) -> (String, &(String, String, String), &FixGroup) {
        let fix = &self.fixes[(g / PART_BASE) as usize];
        let part = &self.parts[(g % PART_BASE) as usize];
        (
            format!("{}{}", fix.key, part_text(&part.0, &part.1, &part.2)),
            part,
            fix,
        )
    }

    /// The group number of a stored key, if its fix and part still exist.
    fn gid(&self, key: &str) -> Option<i64> {
        let at = key.find(" | team=")?;
        Some(self.fix_ids.get(&key[..at])? * PART_BASE + self.part_ids.get(&key[at..])?)
    }
}

/// Fills `temp.planning_vk` (vulnerability -> fix gid), `temp.planning_pkg` (package and host
/// family -> fix gid) and `temp.planning_asset` (asset -> part gid and host family).
fn number_keys(conn: &Connection, r: GroupingRules) -> Result<Keys> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.planning_vk; DROP TABLE IF EXISTS temp.planning_pkg; DROP TABLE IF EXISTS temp.planning_asset;
         CREATE TEMP TABLE planning_vk (vulnerability_id TEXT PRIMARY KEY, gid INTEGER NOT NULL, fixed INTEGER NOT NULL, fixed_version TEXT) WITHOUT ROWID;
         CREATE TEMP TABLE planning_pkg (name TEXT NOT NULL, family TEXT NOT NULL, gid INTEGER NOT NULL, PRIMARY KEY (name, family)) WITHOUT ROWID;
         CREATE TEMP TABLE planning_asset (asset_id TEXT PRIMARY KEY, gid INTEGER NOT NULL, family TEXT NOT NULL) WITHOUT ROWID;",
    )?;
    let mut keys = Keys {
        fixes: Vec::new(),
        fix_ids: HashMap::default(),
        parts: Vec::new(),
        part_ids: HashMap::default(),
        vulns: HashMap::default(),
        pkgs: HashMap::default(),
        assets: HashMap::default(),
        asset_list: Vec::new(),
        criticalities: Vec::new(),
    };
    {
        let mut read = conn.prepare(
            "SELECT id, scanner, scanner_id, title, solution, fixed_version, known_exploited FROM vulnerabilities",
        )?;
        let mut write = conn.prepare("INSERT INTO planning_vk (vulnerability_id, gid, fixed, fixed_version) VALUES (?1, ?2, ?3, ?4)")?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let (id, scanner, sid, title): (String, String, String, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let solution: Option<String> = row.get(4)?;
            let fixed: Option<String> = row
                .get::<_, Option<String>>(5)?
                .filter(|v| !v.trim().is_empty());
            let fix = fix_key(&scanner, &sid, &title, solution.as_deref());
            let gid = match keys.fix_ids.get(&fix.key) {
                Some(&g) => {
                    let group = &mut keys.fixes[g as usize];
                    group.vulns += 1;
                    // An upgrade reads as the one to the highest version its advisories name.
                    let higher = match (&fix.version, &group.version) {
                        (Some(v), Some(w)) => version_cmp(v, w).is_gt(),
                        (Some(_), None) => true,
                        _ => false,
                    };
                    if higher {
                        group.action = fix.action;
                        group.version = fix.version;
                    }
                    g
                }
                None => {
                    let g = keys.fixes.len() as i64;
                    keys.fix_ids.insert(fix.key.clone(), g);
                    keys.fixes.push(FixGroup {
                        key: fix.key,
                        action: fix.action,
                        title,
                        vulns: 1,
                        version: fix.version,
                    });
                    g
                }
            };
            write.execute(params![id, gid, fixed.is_some(), fixed])?;
            keys.vulns.insert(id, (gid, row.get::<_, bool>(6)?));
        }
        number_parts(conn, r, &mut keys)?;
        number_packages(conn, &mut keys)?;
    }
    Ok(keys)
}

/// Assets: their team, environment and host family (as the rules split items) numbered as parts.
fn number_parts(conn: &Connection, r: GroupingRules, keys: &mut Keys) -> Result<()> {
    {
        let mut read = conn.prepare(
            "SELECT id, coalesce(owner_team_id, ''), coalesce(environment, ''), internet_facing, criticality, coalesce(os, '') FROM assets",
        )?;
        let mut write =
            conn.prepare("INSERT INTO planning_asset (asset_id, gid, family) VALUES (?1, ?2, ?3)")?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let team: String = if r.by_team {
                row.get(1)?
            } else {
                String::new()
            };
            let env: String = if r.by_environment {
                row.get(2)?
            } else {
                String::new()
            };
            let os: String = if r.by_os_family {
                os_family(text(row, 5)?)
            } else {
                String::new()
            };
            let part = part_text(&team, &env, &os);
            let gid = match keys.part_ids.get(&part) {
                Some(&g) => g,
                None => {
                    let g = keys.parts.len() as i64;
                    keys.parts.push((team, env, os.clone()));
                    keys.part_ids.insert(part, g);
                    g
                }
            };
            write.execute(params![id, gid, os])?;
            let crit: String = row.get(4)?;
            let c = match keys.criticalities.iter().position(|c| *c == crit) {
                Some(c) => c,
                None => {
                    keys.criticalities.push(crit);
                    keys.criticalities.len() - 1
                }
            };
            keys.assets.insert(id.clone(), keys.asset_list.len() as u32);
            keys.asset_list.push((id, gid, row.get(3)?, c));
        }
    }
    Ok(())
}

/// Packages: "upgrade openssl" is one fix per host family, to the highest fixed version its open
/// findings name there (versions of Debian and Alpine do not compare), or a fix still to come
/// when none names one: a package's CVEs are one item either way.
fn number_packages(conn: &Connection, keys: &mut Keys) -> Result<()> {
    let mut pkgs = conn.prepare(
        "SELECT DISTINCT lower(substr(f.location, 1, instr(f.location, '@') - 1)), pa.family, vk.fixed_version
         FROM planning_vk vk JOIN findings f ON f.vulnerability_id = vk.vulnerability_id
         JOIN planning_asset pa ON pa.asset_id = f.asset_id
         WHERE instr(f.location, '@') > 1 AND f.status = 'open'",
    )?;
    let mut highest: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    let mut rows = pkgs.query([])?;
    while let Some(row) = rows.next()? {
        let (pkg, family): (String, String) = (row.get(0)?, row.get(1)?);
        let version: Option<String> = row.get(2)?;
        let best = highest.entry((pkg, family)).or_default();
        if let Some(v) = version {
            if best.as_ref().is_none_or(|b| version_cmp(&v, b).is_gt()) {
                *best = Some(v);
            }
        }
    }
    let mut write =
        conn.prepare("INSERT INTO planning_pkg (name, family, gid) VALUES (?1, ?2, ?3)")?;
    for ((pkg, family), version) in highest {
        let key = if family.is_empty() {
            format!("pkg:{pkg}")
        } else {
            format!("pkg:{pkg} on {family}")
        };
        let action = match &version {
            Some(v) => format!("Upgrade {pkg} to {v}"),
            None => format!("Upgrade {pkg}: no fixed version published yet"),
        };
        let g = keys.fixes.len() as i64;
        keys.fix_ids.insert(key.clone(), g);
        keys.fixes.push(FixGroup {
            key,
            title: action.clone(),
            action,
            vulns: 2,
            version,
        });
        write.execute(params![pkg, family, g])?;
        keys.pkgs.entry(pkg).or_default().push((family, g));
    }
    Ok(())
}

/// SQL of a finding's group number, over `f`, `vk` and `pa`.
const GROUP_SQL: &str = "(CASE WHEN instr(f.location, '@') > 1
      THEN (SELECT p.gid FROM planning_pkg p WHERE p.name = lower(substr(f.location, 1, instr(f.location, '@') - 1)) AND p.family = pa.family)
      ELSE vk.gid END) * 4294967296 + pa.gid";

/// A million memberships are ~70 MB of b-tree pages, and the temporary tables as much again:
/// with the usual 64 MB cache a regroup spills and re-reads pages (an insert took 6 us a row
/// instead of 3). The cache may grow to 256 MB (main and temp) for the regroup; pages are only
/// taken as needed, so small workspaces use no more.
#[tracing::instrument(target = "truce::regroup", name = "regroup", skip_all)]
fn regroup_tx(tx: &Transaction<'_>, actor: &str, at: &str) -> Result<RegroupReport> {
    let main: i64 = tx.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    let temp: i64 = tx.pragma_query_value(Some("temp"), "cache_size", |r| r.get(0))?;
    tx.pragma_update(None, "cache_size", -262_144)?;
    tx.pragma_update(Some("temp"), "cache_size", -262_144)?;
    let result = regroup_inner(tx, actor, at);
    tx.pragma_update(None, "cache_size", main)?;
    tx.pragma_update(Some("temp"), "cache_size", temp)?;
    result
}

fn regroup_inner(tx: &Transaction<'_>, actor: &str, at: &str) -> Result<RegroupReport> {
    let t0 = std::time::Instant::now();
    let trace = |what: &str| {
        tracing::debug!(
            target: "truce::regroup",
            step = what,
            s = format!("{:.3}", t0.elapsed().as_secs_f64()),
            "regroup step"
        );
    };
    let r = rules(tx)?;
    super::exceptions::expire_tx(tx, actor, at)?;
    super::exceptions::mark_missed(tx, actor, at)?;
    super::ownership::apply(tx)?;
    let keys = number_keys(tx, r)?;
    trace("rules, exceptions, owners, keys");
    let plannable = if r.include_info {
        "1"
    } else {
        "f.severity <> 'info'"
    };
    let joins = "JOIN planning_asset pa ON pa.asset_id = f.asset_id JOIN planning_vk vk ON vk.vulnerability_id = f.vulnerability_id";
    let mut report = RegroupReport::default();

    // 1. Open findings that no longer fit their automatic backlog item leave it.
    tx.execute_batch(
        "DROP TABLE IF EXISTS temp.planning_item;
         CREATE TEMP TABLE planning_item (item TEXT PRIMARY KEY, gid INTEGER) WITHOUT ROWID;",
    )?;
    let any_backlog = {
        let backlog: Vec<(String, Option<String>)> = tx
            .prepare("SELECT id, group_key FROM work_items WHERE state = 'backlog' AND pinned = 0")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut write = tx.prepare("INSERT INTO planning_item (item, gid) VALUES (?1, ?2)")?;
        let any = !backlog.is_empty();
        for (id, key) in backlog {
            write.execute(params![id, key.and_then(|k| keys.gid(&k)).unwrap_or(-1)])?;
        }
        any
    };
    // Without automatic backlog items nothing can leave one (the join below would still walk
    // the open findings: 0.14 s at a million).
    let filter = if any_backlog { "" } else { "AND 0" };
    tx.execute_batch(&format!(
        "DROP TABLE IF EXISTS temp.planning_left;
         CREATE TEMP TABLE planning_left AS
           SELECT w.work_item_id AS item, w.finding_id AS finding
           FROM planning_item i JOIN work_item_findings w ON w.work_item_id = i.item
           JOIN findings f ON f.id = w.finding_id {joins}
           WHERE f.status = 'open' AND (NOT ({plannable}) OR {GROUP_SQL} <> i.gid) {filter};
         DELETE FROM work_item_findings WHERE finding_id IN (SELECT finding FROM planning_left);"
    ))?;
    trace("step 1: left");
    let left = counts(tx, "SELECT item, count(*) FROM planning_left GROUP BY item")?;
    for (item, n) in &left {
        report.left += n;
        let reason = format!("regroup: {n} findings no longer match this item's key");
        crate::changes::note(
            tx,
            "work_item",
            item,
            "findings",
            Some(&format!("-{n}")),
            Some(&reason),
        )?;
    }

    // 2. Plannable open findings in no item, by group: read once and grouped in Rust (a map
    //    lookup per finding instead of two b-tree lookups in temporary tables), with what the
    //    new items' aggregates need on the way. The table is read in order (NOT INDEXED): most
    //    findings of a workspace are open, and the status index cost a seek per finding.
    let policies = super::sla::policies(tx)?;
    let mut days_of: HashMap<(usize, bool, bool, usize), Option<u32>> = HashMap::default();
    let mut groups: BTreeMap<i64, Group> = BTreeMap::new();
    {
        let mut stmt = tx.prepare(&format!(
            "SELECT f.id, f.asset_id, f.vulnerability_id, f.location, f.severity, f.first_seen
             FROM findings f NOT INDEXED
             WHERE f.status = 'open' AND {plannable}
               AND NOT EXISTS (SELECT 1 FROM work_item_findings w WHERE w.finding_id = f.id)"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (Some(&(fix, kev)), Some(&asset)) =
                (keys.vulns.get(text(r, 2)?), keys.assets.get(text(r, 1)?))
            else {
                continue;
            };
            let (_, part, inet, crit) = &keys.asset_list[asset as usize];
            let location = text(r, 3)?;
            let fix = match location.find('@') {
                Some(at) if at > 0 => {
                    let family = &keys.parts[*part as usize].2;
                    let found = keys
                        .pkgs
                        .get(&location[..at].to_ascii_lowercase())
                        .and_then(|fs| fs.iter().find(|(f, _)| f == family));
                    match found {
                        Some(&(_, g)) => g,
                        None => continue,
                    }
                }
                _ => fix,
            };
            let g = fix * PART_BASE + part;
            let severity = Severity::parse(text(r, 4)?).unwrap_or(Severity::Info);
            let rank = super::stats::rank(severity);
            let group = groups.entry(g).or_default();
            group.findings.push(text(r, 0)?.to_string());
            group.rank = group.rank.min(rank);
            group.known_exploited |= kev;
            group.assets.insert(asset);
            let days = *days_of.entry((rank, kev, *inet, *crit)).or_insert_with(|| {
                super::sla::allowed_days(
                    &policies,
                    super::sla::Facts {
                        severity,
                        known_exploited: kev,
                        internet_facing: *inet,
                        criticality: &keys.criticalities[*crit],
                    },
                )
            });
            if let Some(days) = days {
                let seen = text(r, 5)?;
                match group.first_seen.get_mut(&days) {
                    Some(min) if min.as_str() <= seen => {}
                    Some(min) => *min = seen.to_string(),
                    None => {
                        group.first_seen.insert(days, seen.to_string());
                    }
                }
            }
        }
    }
    trace("step 2: groups");
    // item id -> (group, created by this regroup)
    let mut targets: Vec<(String, i64, bool)> = Vec::new();
    let namespace = crate::ids::namespace(tx)?;
    {
        let mut find = tx.prepare(
            "SELECT id FROM work_items WHERE group_key = ?1 AND state NOT IN ('done','verified')
             ORDER BY created_at, id LIMIT 1",
        )?;
        let mut create = tx.prepare(
            "INSERT INTO work_items (id, title, action, team_id, environment, group_key, created_at, updated_at)
             VALUES (?1, ?2, ?3, nullif(?4, ''), nullif(?5, ''), ?6, ?7, ?7)",
        )?;
        for (&g, group) in &groups {
            let n = group.findings.len() as u32;
            let (key, (team, env, os), fix) = keys.key(g);
            let (action, title, vulns) = (&fix.action, &fix.title, &fix.vulns);
            let existing: Option<String> =
                find.query_map([&key], |r| r.get(0))?.next().transpose()?;
            let item = match existing {
                Some(id) => {
                    report.joined += n;
                    let reason = format!("regroup: {n} new findings joined");
                    crate::changes::note(
                        tx,
                        "work_item",
                        &id,
                        "findings",
                        Some(&format!("+{n}")),
                        Some(&reason),
                    )?;
                    (id, false)
                }
                None => {
                    let id = item_id(tx, &namespace, &key)?;
                    // One vulnerability: its title; a fix shared by several: the fix.
                    let title = if *vulns > 1 { action } else { title };
                    crate::changes::because(tx, format!("regroup: {n} findings").as_str())?;
                    create.execute(params![id, title, action, team, env, key, at])?;
                    report.created.push(RegroupItem {
                        action: action.clone(),
                        team_id: (!team.is_empty()).then(|| team.to_string()),
                        environment: (!env.is_empty()).then(|| env.to_string()),
                        os_family: (!os.is_empty()).then(|| os.to_string()),
                        findings: n,
                    });
                    (id, true)
                }
            };
            targets.push((item.0, g, item.1));
        }
    }
    // Filed in key order (item, then finding): the memberships' b-tree grows at its ends and
    // the findings' key index is walked in order by the foreign-key checks.
    targets.sort();
    let filing: usize = groups.values().map(|g| g.findings.len()).sum();
    if filing > 0 {
        // Filing many findings at once: inserting into the one-item index row by row costs more
        // than building it again from sorted keys, so it is dropped and rebuilt (same transaction).
        // Both are put back from the SQL the migrations stored in the schema, so the
        // migrations stay the only place that defines them.
        let bulk = filing >= 100_000;
        let index = if bulk {
            Some(lift(tx, "index", "work_item_findings_one_item")?)
        } else {
            None
        };
        // The trigger that drops the row of an item a finding joins would run once per finding:
        // the rows of the items touched are dropped here instead, and the trigger is put back
        // after the filing (same transaction).
        let trigger = lift(tx, "trigger", "work_item_stats_joined")?;
        // Memberships of unpinned items are not recorded (`changes`), but their recording
        // trigger would still run for each to ask: when no target is pinned it is lifted too.
        let any_pinned = {
            let mut pinned = tx.prepare_cached("SELECT pinned FROM work_items WHERE id = ?1")?;
            let mut any = false;
            for (item, _, _) in &targets {
                any |= pinned.query_row([item], |r| r.get::<_, bool>(0))?;
            }
            any
        };
        let recording = if any_pinned {
            None
        } else {
            Some(lift(tx, "trigger", "record_work_item_findings_insert")?)
        };
        {
            let mut drop_row = tx.prepare("DELETE FROM work_item_stats WHERE work_item_id = ?1")?;
            for (item, _, _) in &targets {
                drop_row.execute([item])?;
            }
        }
        const ROWS: usize = 64;
        let values = |n: usize| {
            format!(
                "INSERT INTO work_item_findings (work_item_id, finding_id) VALUES {}",
                vec!["(?,?)"; n].join(",")
            )
        };
        let mut many = tx.prepare(&values(ROWS))?;
        let mut one = tx.prepare(&values(1))?;
        for (item, g, _) in &targets {
            let group = groups.get_mut(g).expect("group of a target");
            if !group.findings.is_sorted() {
                group.findings.sort_unstable();
            }
            let mut chunks = group.findings.chunks_exact(ROWS);
            for chunk in chunks.by_ref() {
                for (i, f) in chunk.iter().enumerate() {
                    many.raw_bind_parameter(2 * i + 1, item.as_str())?;
                    many.raw_bind_parameter(2 * i + 2, f.as_str())?;
                }
                many.raw_execute()?;
            }
            for f in chunks.remainder() {
                one.execute(params![item, f])?;
            }
        }
        tx.execute_batch(&trigger)?;
        if let Some(recording) = recording {
            tx.execute_batch(&recording)?;
        }
        trace("step 2: rows inserted");
        if let Some(index) = index {
            tx.execute_batch(&index)?;
        }
    }
    trace("step 2: insert");
    // The aggregates of the items this regroup created are those of their findings, all open.
    {
        let mut made: std::collections::HashMap<String, Stats> = std::collections::HashMap::new();
        let mut julian = tx.prepare("SELECT julianday(?1)")?;
        for (item, g, created) in targets {
            if !created {
                continue; // recounted below with the findings it had
            }
            let group = groups.remove(&g).expect("group of a target");
            let mut due = None;
            for (days, seen) in &group.first_seen {
                if let Some(start) = julian.query_row([seen], |r| r.get::<_, Option<f64>>(0))? {
                    due = super::stats::earlier(due, Some((super::sla::due(start, *days), *days)));
                }
            }
            let mut open: Vec<String> = group
                .assets
                .into_iter()
                .map(|a| keys.asset_list[a as usize].0.clone())
                .collect();
            open.sort_unstable();
            made.insert(
                item,
                Stats {
                    findings: group.findings.len() as u32,
                    findings_fixed: 0,
                    assets: open.len() as u32,
                    assets_fixed: 0,
                    severity: Severity::ALL[group.rank],
                    known_exploited: group.known_exploited,
                    due,
                    open_assets: open,
                },
            );
        }
        super::stats::store(tx, &made)?;
    }

    // 3. Automatic backlog items with nothing left in them go.
    let empty: Vec<String> = tx
        .prepare(
            "SELECT id FROM work_items i WHERE state = 'backlog' AND pinned = 0
             AND NOT EXISTS (SELECT 1 FROM work_item_findings w WHERE w.work_item_id = i.id)",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    crate::changes::because(tx, "regroup: no finding left")?;
    for id in &empty {
        tx.execute("DELETE FROM work_items WHERE id = ?1", [id])?;
    }
    report.removed = empty.len() as u32;
    trace("step 3: empty items");
    super::stats::refresh(tx)?;
    trace("aggregates");
    report.items = tx.query_row("SELECT count(*) FROM work_items", [], |r| r.get(0))?;
    Ok(report)
}

/// The new findings of one group, and what the aggregates of a new item need.
struct Group {
    findings: Vec<String>,
    /// indexes in `Keys::asset_list`
    assets: HashSet<u32>,
    rank: usize,
    known_exploited: bool,
    /// allowed days -> earliest first seen of the findings with those days
    first_seen: BTreeMap<u32, String>,
}

impl Default for Group {
    fn default() -> Self {
        Group {
            findings: Vec::new(),
            assets: HashSet::default(),
            rank: 4,
            known_exploited: false,
            first_seen: BTreeMap::new(),
        }
    }
}

/// Drops schema object `name` (an index or trigger) for a bulk write, and returns the SQL that
/// made it, as stored in the schema, to run again afterwards in the same transaction.
fn lift(tx: &Transaction<'_>, kind: &str, name: &str) -> Result<String> {
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = ?1 AND name = ?2",
        [kind, name],
        |r| r.get(0),
    )?;
    tx.execute_batch(&format!("DROP {kind} {name};"))?;
    Ok(sql)
}

/// A text column borrowed from the row (no copy per row of a million).
fn text<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<&'a str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
            .into()
    })
}

fn counts(conn: &Connection, sql: &str) -> Result<HashMap<String, u32>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The id of the item a regroup makes for a group: derived from the group's key and how many
/// items that key has had, so two laptops that regroup the same findings make the same item
/// and a team hub merges them into one (`sync`). A person's split or merge makes new ids.
fn item_id(tx: &Transaction<'_>, namespace: &uuid::Uuid, key: &str) -> Result<String> {
    let before: i64 = tx
        .prepare_cached("SELECT count(*) FROM work_items WHERE group_key = ?1")?
        .query_row([key], |r| r.get(0))?;
    let id = crate::ids::derived(namespace, "work_item", &[key, &before.to_string()]);
    let taken: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM work_items WHERE id = ?1)")?
        .query_row([&id], |r| r.get(0))?;
    Ok(if taken { new_id() } else { id })
}
