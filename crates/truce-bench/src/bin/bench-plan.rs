//! Benchmarks of the planning engine on a seeded world (`truce_bench::plan`).
//!
//! `bench-plan [--items N] [--weeks W] [--runs R]`:
//! - autoplan: build the planner from 10,000 items and 500 occurrences, then propose a plan;
//! - check: the conflict check of one drop (an item onto an occurrence) once that plan is carried out;
//! - with `--dir DIR`, the same questions asked of a workspace file: 1,000,000 findings in 10,000
//!   work items, 10 weekly windows, 20 weeks already planned; a drop check through
//!   `scheduling::actions::check_drop` (SQLite and all), the auto-plan from the workspace, and
//!   accepting all of it.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use truce_bench::plan::{preload, world};
use truce_core::calendar::{self, WindowKind, WindowSpec};
use truce_core::scheduling::{actions, OccurrenceKey, Planner};
use truce_core::Workspace;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    truce_bench::init_logging();
    // mimalloc, purging freed memory at once (crates/truce-alloc).
    truce_alloc::tune();
    let items = arg("--items", 10_000);
    let weeks = arg("--weeks", 50);
    let runs = arg("--runs", 5);
    let w = world(42, items, weeks);
    let occurrences = w.slots.len();
    let mut times = Vec::new();
    let mut proposal = None;
    for _ in 0..runs {
        let (slots, its, assets) = (w.slots.clone(), w.items.clone(), w.assets.clone());
        let start = Instant::now();
        let planner = Planner::new(w.now, slots, its, assets);
        let p = planner.propose();
        times.push(start.elapsed().as_secs_f64());
        proposal = Some(p);
    }
    let p = proposal.unwrap();
    println!(
        "autoplan  {items} items, {occurrences} occurrences: median {:.1} ms (min {:.1}, max {:.1}, {runs} runs); placed {}, unplaced {}, after due {}",
        median(times.clone()) * 1e3,
        times.iter().cloned().fold(f64::MAX, f64::min) * 1e3,
        times.iter().cloned().fold(0.0, f64::max) * 1e3,
        p.placements.len(),
        p.unplaced.len(),
        p.breaches
    );
    // Carry the plan out, then time single drops against it.
    let mut its = w.items.clone();
    for pl in &p.placements {
        its.iter_mut().find(|i| i.id == pl.item_id).unwrap().placed = Some(pl.occurrence.clone());
    }
    let planner = Planner::new(w.now, w.slots.clone(), its, w.assets.clone());
    let drops = 2_000;
    let start = Instant::now();
    let mut refused = 0;
    for k in 0..drops {
        let item = &planner.items()[(k * 7919) % planner.items().len()];
        let slot = &planner.slots()[(k * 104_729) % planner.slots().len()];
        let conflicts = planner.check(&item.id, &slot.key).unwrap();
        refused += usize::from(conflicts.iter().any(|c| c.hard));
    }
    let per = start.elapsed().as_secs_f64() / drops as f64;
    println!(
        "check     one drop on the carried-out plan: {:.1} µs mean over {drops} drops ({refused} refused)",
        per * 1e6
    );
    if let Some(i) = std::env::args().position(|a| a == "--dir") {
        let dir = std::path::PathBuf::from(std::env::args().nth(i + 1).expect("--dir DIR"));
        on_a_workspace(&dir);
    }
}

/// 1M findings (20,000 assets x 50 vulnerabilities) in 10,000 items of 100 findings (one
/// vulnerability on a block of 100 assets), 10 weekly windows with room for 30 items, and the
/// first 20 weeks of occurrences holding 20 items each.
fn on_a_workspace(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("bench-plan-{}.truce", std::process::id()));
    let mut ws = Workspace::open(&path).unwrap();
    let setup = Instant::now();
    preload(&mut ws, 1_000_000);
    eprintln!(
        "setup: 1M findings in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    ws.conn()
        .execute_batch(
            "BEGIN;
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
             INSERT INTO work_items (id, title, action, state, created_at, updated_at)
               SELECT printf('pre-i-%05d', i), printf('Fix %d', i), printf('Upgrade %d', i), 'backlog',
                      '2025-01-02T00:00:00Z', '2025-01-02T00:00:00Z' FROM n;
             INSERT INTO work_item_findings (work_item_id, finding_id)
               SELECT printf('pre-i-%05d', CAST(substr(vulnerability_id, 7) AS INTEGER) * 200
                                            + CAST(substr(asset_id, 7) AS INTEGER) / 100), id
               FROM findings;
             COMMIT;",
        )
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    for w in 0..10u32 {
        let start = now.date_naive() + Duration::days(1 + i64::from(w % 7));
        let spec = WindowSpec {
            rrule: Some("FREQ=WEEKLY".into()),
            max_items: Some(30),
            ..WindowSpec::new(
                &format!("Window {w}"),
                WindowKind::Maintenance,
                "Europe/Berlin",
                start.and_hms_opt(18 + w % 4, 0, 0).unwrap(),
                120,
            )
        };
        calendar::create(ws.conn(), "bench", &spec).unwrap();
    }
    let occurrences = calendar::occurrences(ws.conn(), now, now + Duration::weeks(50)).unwrap();
    let tx = ws.write_tx().unwrap();
    for (k, o) in occurrences.iter().take(200).enumerate() {
        for j in 0..20 {
            tx.execute(
                "UPDATE work_items SET window_id = ?1, occurrence_start = ?2, state = 'scheduled' WHERE id = ?3",
                rusqlite::params![o.window_id, o.start_utc.format("%Y-%m-%dT%H:%M:%SZ").to_string(), format!("pre-i-{:05}", k * 20 + j)],
            )
            .unwrap();
        }
    }
    // The items were written straight in SQL: their aggregates are computed once here, as a
    // regroup (or the first read of a migrated workspace) would.
    let aggregates = Instant::now();
    truce_core::planning::stats::refresh(&tx).unwrap();
    eprintln!(
        "setup: aggregates of 10,000 items over 1M memberships in {:.1} s",
        aggregates.elapsed().as_secs_f64()
    );
    tx.commit().unwrap();
    eprintln!(
        "setup: items, windows and placements after {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let drops = 50;
    let mut times = Vec::new();
    for k in 0..drops {
        let item = format!("pre-i-{:05}", 4000 + k * 97);
        let o = &occurrences[(k * 37) % 200];
        let target = OccurrenceKey {
            window_id: o.window_id.clone(),
            start_utc: o.start_utc,
        };
        let start = Instant::now();
        let checks = actions::check_drop(&ws, std::slice::from_ref(&item), &target, now).unwrap();
        times.push(start.elapsed().as_secs_f64());
        assert_eq!(checks.len(), 1);
    }
    eprintln!(
        "drops (ms, in order): {}",
        times
            .iter()
            .map(|t| format!("{:.2}", t * 1e3))
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "ws-check  one drop on a workspace with 1,000,000 findings: median {:.2} ms (min {:.2}, max {:.2}, {drops} drops)",
        median(times.clone()) * 1e3,
        times.iter().cloned().fold(f64::MAX, f64::min) * 1e3,
        times.iter().cloned().fold(0.0, f64::max) * 1e3
    );
    let start = Instant::now();
    let proposal = actions::auto_plan(&ws, now, 350, None).unwrap();
    println!(
        "ws-plan   auto-plan from that workspace (items, due dates and assets read from SQLite): {:.2} s; placed {}, unplaced {}",
        start.elapsed().as_secs_f64(),
        proposal.placements.len(),
        proposal.unplaced.len()
    );
    let start = Instant::now();
    let accepted = actions::accept(
        &mut ws,
        None,
        None,
        Some("benchmark: accept the whole plan"),
        now,
        350,
    )
    .unwrap();
    println!(
        "ws-accept accepting that whole auto-plan (checked, then written in one transaction): {:.2} s; scheduled {}, skipped {}",
        start.elapsed().as_secs_f64(),
        accepted.scheduled.len(),
        accepted.skipped.len()
    );
    assert_eq!(accepted.scheduled.len(), proposal.placements.len());
    drop(ws);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
