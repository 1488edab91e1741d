//! Writes the workspace the board's Chromium benchmark opens (`tests/browser/bench-board.mjs`):
//! 10,000 work items over `--findings` open findings (default 100,000 on 20,000 assets), three
//! people owning all of it, 10 weekly windows (about 500 occurrences in 50 weeks, 30 items each)
//! and a holiday freeze; the first 2,000 items already placed on the first 200 occurrences.
//!
//! `bench-board-workspace --out PATH [--findings N] [--items N]`. Findings were first seen on
//! 1 Nov 2026, so as of the benchmark's clock (24 Nov 2026) criticals are overdue and lows are not.

use chrono::{Duration, NaiveDate};
use truce_bench::plan::preload;
use truce_core::calendar::{self, WindowKind, WindowSpec};
use truce_core::Workspace;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn window(
    name: &str,
    kind: WindowKind,
    start: chrono::NaiveDateTime,
    minutes: u32,
    rrule: Option<&str>,
) -> WindowSpec {
    WindowSpec {
        rrule: rrule.map(String::from),
        max_items: (kind == WindowKind::Maintenance).then_some(30),
        ..WindowSpec::new(name, kind, "Europe/Berlin", start, minutes)
    }
}

fn main() {
    // mimalloc, purging freed memory at once (crates/truce-alloc).
    truce_alloc::tune();
    let out = std::path::PathBuf::from(arg("--out").expect("--out PATH"));
    let findings: usize = arg("--findings").map_or(100_000, |v| v.parse().expect("a number"));
    let items: usize = arg("--items").map_or(10_000, |v| v.parse().expect("a number"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", out.display()));
    }
    let started = std::time::Instant::now();
    let mut ws = Workspace::open(&out).unwrap();
    preload(&mut ws, findings);
    // Item k holds one vulnerability (k mod per) on every asset whose index fits: one fix, one
    // severity, findings / items hosts.
    let per = findings / 20_000;
    ws.conn()
        .execute_batch(&format!(
            "BEGIN;
             UPDATE findings SET first_seen = '2026-11-01T00:00:00Z', last_seen = '2026-11-01T00:00:00Z';
             INSERT INTO people (id, name, email, team_id) VALUES
               ('p-ops', 'Olga Ops', 'olga@example.com', 't-linux'),
               ('p-sec', 'Sid Sec', 'sid@example.com', NULL),
               ('p-cab', 'Cora CAB', 'cora@example.com', NULL);
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {items} - 1)
             INSERT INTO work_items (id, title, action, team_id, environment, state, security_owner_id, ops_owner_id, approver_id, created_at, updated_at)
               SELECT printf('bench-i-%05d', i), printf('Upgrade component %d on host group %d', i % 10, i),
                      printf('Upgrade component %d to version %d.0 or later.', i % 10, i % 10 + 2),
                      CASE WHEN i % 4 = 0 THEN 't-win' ELSE 't-linux' END,
                      CASE i % 3 WHEN 0 THEN 'prod' WHEN 1 THEN 'staging' ELSE 'dev' END,
                      'backlog', 'p-sec', 'p-ops', 'p-cab', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z' FROM n;
             INSERT INTO work_item_findings (work_item_id, finding_id)
               SELECT printf('bench-i-%05d', (CAST(substr(asset_id, 7) AS INTEGER) * {per}
                                               + CAST(substr(vulnerability_id, 7) AS INTEGER)) % {items}), id FROM findings;
             COMMIT;"
        ))
        .unwrap();
    let first = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let tx = ws.write_tx().unwrap();
    for w in 0..10u32 {
        let day = first + Duration::days(i64::from(w % 7));
        let start = day.and_hms_opt(18 + w % 4, 0, 0).unwrap();
        calendar::create(
            &tx,
            "bench",
            &window(
                &format!("Patch window {w}"),
                WindowKind::Maintenance,
                start,
                120,
                Some("FREQ=WEEKLY"),
            ),
        )
        .unwrap();
    }
    let freeze = NaiveDate::from_ymd_opt(2026, 12, 24)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    calendar::create(
        &tx,
        "bench",
        &window(
            "Holiday freeze",
            WindowKind::Blackout,
            freeze,
            14 * 24 * 60,
            None,
        ),
    )
    .unwrap();
    tx.commit().unwrap();
    let now = first.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let occurrences = calendar::occurrences(ws.conn(), now, now + Duration::weeks(50)).unwrap();
    let tx = ws.write_tx().unwrap();
    for (k, o) in occurrences
        .iter()
        .filter(|o| o.kind == WindowKind::Maintenance)
        .take(200)
        .enumerate()
    {
        for j in 0..10 {
            tx.execute(
                "UPDATE work_items SET window_id = ?1, occurrence_start = ?2, state = 'scheduled' WHERE id = ?3",
                rusqlite::params![o.window_id, truce_core::ids::utc_text(o.start_utc), format!("bench-i-{:05}", k * 10 + j)],
            )
            .unwrap();
        }
    }
    // The per-item aggregates the board reads, as an import or regroup would leave them.
    truce_core::planning::stats::refresh(&tx).unwrap();
    tx.commit().unwrap();
    drop(ws);
    eprintln!(
        "wrote {} ({findings} findings, {items} work items, {} occurrences in 50 weeks) in {:.1} s",
        out.display(),
        occurrences.len(),
        started.elapsed().as_secs_f64()
    );
}
