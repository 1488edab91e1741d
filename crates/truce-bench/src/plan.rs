//! A seeded planning world: assets, work items and a year of weekly change-window occurrences,
//! shaped like a mid-size estate (half production, one in five hosts in an HA pair, a few
//! tagged PCI or edge, eight ops teams, a year-end freeze).

use chrono::{DateTime, Duration, TimeZone, Utc};
use truce_core::scheduling::{OccurrenceKey, PlanAsset, PlanItem, Slot, SlotKind};
use truce_core::Workspace;

use crate::rng::Rng;

pub const ENVIRONMENTS: [&str; 3] = ["prod", "staging", "dev"];
pub const TEAMS: usize = 8;

pub struct World {
    pub now: DateTime<Utc>,
    pub slots: Vec<Slot>,
    pub items: Vec<PlanItem>,
    pub assets: Vec<PlanAsset>,
}

fn environment(rng: &mut Rng) -> usize {
    match rng.below(4) {
        0 | 1 => 0,
        2 => 1,
        _ => 2,
    }
}

/// `items` work items over `weeks` weeks of 10 weekly windows (so 10 x weeks occurrences), plus
/// two blackouts.
pub fn world(seed: u64, items: usize, weeks: usize) -> World {
    let mut rng = Rng::new(seed);
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let asset_count = (items / 2).max(16);
    let mut assets = Vec::with_capacity(asset_count);
    let mut by_env: [Vec<usize>; 3] = Default::default();
    let mut i = 0;
    while i < asset_count {
        let env = environment(&mut rng);
        let pair = rng.chance(0.2) && i + 1 < asset_count;
        let n = if pair { 2 } else { 1 };
        for k in 0..n {
            let mut tags = Vec::new();
            if rng.chance(0.1) {
                tags.push("pci".to_string());
            }
            if rng.chance(0.1) {
                tags.push("edge".to_string());
            }
            assets.push(PlanAsset {
                id: format!("asset-{:05}", i + k),
                name: format!("{}-host-{:05}", ENVIRONMENTS[env], i + k),
                tags,
                ha_group: pair.then(|| format!("cluster-{i:05}")),
            });
            by_env[env].push(i + k);
        }
        i += n;
    }
    let mut slots = Vec::new();
    for w in 0..10usize {
        let env = w % 4; // 0 prod, 1 staging, 2 dev, 3 any
        let hour = 18 + (w % 3) as i64 * 2;
        let day = (w % 7) as i64;
        for week in 0..weeks {
            let start = now + Duration::days(day + 7 * week as i64) + Duration::hours(hour);
            slots.push(Slot {
                key: OccurrenceKey {
                    window_id: format!("window-{w}"),
                    start_utc: start,
                },
                name: format!("Window {w}"),
                kind: SlotKind::Maintenance,
                end_utc: start + Duration::hours(4),
                local_label: start.format("%a %Y-%m-%d %H:%M UTC").to_string(),
                environments: (env < 3).then(|| vec![ENVIRONMENTS[env].to_string()]),
                asset_tags: None,
                teams: (w >= 8).then(|| vec![format!("team-{}", w - 8)]),
                max_assets: Some(150 + 25 * (w as u32 % 4)),
                max_items: Some(25 + 5 * (w as u32 % 3)),
            });
        }
    }
    for (name, from, days) in [
        (
            "Year-end freeze",
            Utc.with_ymd_and_hms(2026, 12, 19, 0, 0, 0).unwrap(),
            16,
        ),
        (
            "Quarter close",
            Utc.with_ymd_and_hms(2027, 3, 29, 0, 0, 0).unwrap(),
            4,
        ),
    ] {
        slots.push(Slot {
            key: OccurrenceKey {
                window_id: name.to_lowercase().replace(' ', "-"),
                start_utc: from,
            },
            name: name.into(),
            kind: SlotKind::Blackout,
            end_utc: from + Duration::days(days),
            local_label: from.format("%a %Y-%m-%d").to_string(),
            environments: Some(vec!["prod".into()]),
            asset_tags: None,
            teams: None,
            max_assets: None,
            max_items: None,
        });
    }
    let mut plan_items = Vec::with_capacity(items);
    for n in 0..items {
        let env = environment(&mut rng);
        let pool = &by_env[env];
        let count = 1 + (rng.lognormal(2.0, 0.8) as usize).min(11);
        let mut mine: Vec<String> = (0..count)
            .map(|_| {
                assets[pool[rng.below(pool.len() as u64) as usize]]
                    .id
                    .clone()
            })
            .collect();
        mine.sort();
        mine.dedup();
        let (days, weight) = match rng.below(10) {
            0 => (14, 10.0),
            1..=3 => (30, 5.0),
            4..=7 => (90, 2.0),
            _ => (180, 1.0),
        };
        let first_seen = now - Duration::days(rng.below(days) as i64);
        plan_items.push(PlanItem {
            id: format!("item-{n:05}"),
            title: format!("Fix {n}"),
            team: Some(format!("team-{}", rng.below(TEAMS as u64))),
            team_name: None,
            environment: Some(ENVIRONMENTS[env].to_string()),
            risk: weight * mine.len() as f64,
            assets: mine,
            due: Some(first_seen + Duration::days(days as i64)),
            ops_owner: Some("ops".into()),
            approver: Some("cab".into()),
            placed: None,
            wants_plan: true,
            settled: false,
        });
    }
    World {
        now,
        slots,
        items: plan_items,
        assets,
    }
}

/// `findings` open findings on 20,000 assets, written straight in SQL (fast to set up). A quarter
/// of the hosts run Windows, the rest Ubuntu; one vulnerability in ten is in a package
/// (`openssl@...`, half of them naming a fixed version), so package grouping is timed too.
pub fn preload(ws: &mut Workspace, findings: usize) {
    let assets = 20_000;
    let per = findings / assets;
    ws.conn()
        .execute_batch(&format!(
            "BEGIN;
             INSERT INTO teams (id, name, kind) VALUES ('t-linux', 'Linux Ops', 'ops'), ('t-win', 'Windows Ops', 'ops');
             INSERT INTO ownership_rules (id, position, kind, pattern, team_id, created_at) VALUES
               ('r1', 1, 'hostname', 'win*', 't-win', '2025-01-01T00:00:00Z'),
               ('r2', 2, 'hostname', '*', 't-linux', '2025-01-01T00:00:00Z');
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {assets} - 1)
             INSERT INTO assets (id, name, environment, os, created_at, updated_at)
               SELECT printf('pre-a-%06d', i), printf('%s%06d.example.net', CASE WHEN i % 4 = 0 THEN 'win' ELSE 'lin' END, i),
                      CASE i % 3 WHEN 0 THEN 'prod' WHEN 1 THEN 'staging' ELSE 'dev' END,
                      CASE WHEN i % 4 = 0 THEN 'Microsoft Windows Server 2019' ELSE 'Ubuntu 22.04' END,
                      '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z' FROM n;
             INSERT INTO asset_identifiers (asset_id, kind, value) SELECT id, 'fqdn', name FROM assets WHERE id LIKE 'pre-a-%';
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {per} - 1)
             INSERT INTO vulnerabilities (id, scanner, scanner_id, title, severity, solution, fixed_version)
               SELECT printf('pre-v-%04d', i), 'nessus', printf('pre%d', i), printf('Preloaded %d', i),
                      CASE i % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END,
                      printf('Upgrade component %d to version %d.0 or later.', i % 10, i % 10 + 2),
                      CASE WHEN i % 20 = 0 THEN printf('1.1.%d', i) END FROM n;
             INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, status, first_seen, last_seen)
               SELECT a.id || v.id, a.id, v.id, CASE WHEN CAST(substr(v.id, 7) AS INTEGER) % 10 = 0 THEN 'openssl@1.1.1' ELSE '443/tcp' END, v.severity, 'open', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'
               FROM assets a, vulnerabilities v WHERE a.id LIKE 'pre-a-%' AND v.id LIKE 'pre-v-%';
             COMMIT;"
        ))
        .unwrap();
}
