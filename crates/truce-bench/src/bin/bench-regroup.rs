//! Planning benchmark: regrouping 1,000,000 open findings into work items (issue: planning engine).
//!
//!   cargo run --release -p truce-bench --bin bench-regroup -- [--findings N] [--runs R] [--dir DIR]
//!
//! Each run builds a fresh workspace with N findings written straight in SQL (20,000 assets in 3
//! environments, 2 ops teams by ownership rule, 50 vulnerabilities sharing 10 solutions, severities
//! critical to low), then times: the first regroup (every finding into an item), a second regroup
//! (idempotent: nothing changes), and listing every item with counts, due dates and SLA status.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::Instant;

use truce_core::{planning, Workspace};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let findings: usize = get("--findings")
        .map(|s| s.parse().expect("--findings N"))
        .unwrap_or(1_000_000);
    let runs: usize = get("--runs")
        .map(|s| s.parse().expect("--runs R"))
        .unwrap_or(3);
    let dir = PathBuf::from(get("--dir").unwrap_or_else(|| "target/bench".into()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("run\tfirst regroup s\titems\tsecond regroup s\tlist items s");
    for run in 0..runs {
        let path = dir.join(format!("bench-regroup-{}-{run}.truce", std::process::id()));
        let mut ws = Workspace::open(&path).unwrap();
        preload(&mut ws, findings);
        let start = Instant::now();
        let first = planning::regroup(&mut ws).unwrap();
        let t1 = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let second = planning::regroup(&mut ws).unwrap();
        let t2 = start.elapsed().as_secs_f64();
        assert!(second.created.is_empty() && second.joined == 0 && second.left == 0);
        let start = Instant::now();
        let items = planning::list_items(ws.conn(), chrono_now()).unwrap();
        let t3 = start.elapsed().as_secs_f64();
        let grouped: u32 = items.iter().map(|i| i.findings).sum();
        assert_eq!(grouped as usize, findings);
        println!("{run}\t{t1:.3}\t{}\t{t2:.3}\t{t3:.3}", first.items);
        drop(ws);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// `findings` open findings on 20,000 assets, written straight in SQL (fast to set up).
fn preload(ws: &mut Workspace, findings: usize) {
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
             INSERT INTO assets (id, name, environment, created_at, updated_at)
               SELECT printf('pre-a-%06d', i), printf('%s%06d.example.net', CASE WHEN i % 4 = 0 THEN 'win' ELSE 'lin' END, i),
                      CASE i % 3 WHEN 0 THEN 'prod' WHEN 1 THEN 'staging' ELSE 'dev' END,
                      '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z' FROM n;
             INSERT INTO asset_identifiers (asset_id, kind, value) SELECT id, 'fqdn', name FROM assets WHERE id LIKE 'pre-a-%';
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {per} - 1)
             INSERT INTO vulnerabilities (id, scanner, scanner_id, title, severity, solution)
               SELECT printf('pre-v-%04d', i), 'nessus', printf('pre%d', i), printf('Preloaded %d', i),
                      CASE i % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END,
                      printf('Upgrade component %d to version %d.0 or later.', i % 10, i % 10 + 2) FROM n;
             INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, status, first_seen, last_seen)
               SELECT a.id || v.id, a.id, v.id, '443/tcp', v.severity, 'open', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'
               FROM assets a, vulnerabilities v WHERE a.id LIKE 'pre-a-%' AND v.id LIKE 'pre-v-%';
             COMMIT;"
        ))
        .unwrap();
}
