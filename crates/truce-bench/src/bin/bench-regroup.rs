//! Planning benchmark: regrouping 1,000,000 open findings into work items (issue: planning engine).
//!
//!   cargo run --release -p truce-bench --bin bench-regroup -- [--findings N] [--runs R] [--dir DIR]
//!
//! Each run builds a fresh workspace with N findings written straight in SQL (20,000 assets in 3
//! environments, 2 ops teams by ownership rule, 50 vulnerabilities sharing 10 solutions, severities
//! critical to low), then times: the first regroup (every finding into an item), a second regroup
//! (idempotent: nothing changes), and listing every item with counts, due dates and SLA status.

use std::path::PathBuf;
use std::time::Instant;

use truce_bench::plan::preload;
use truce_core::{planning, Workspace};

fn main() {
    truce_bench::init_logging();
    // mimalloc, purging freed memory at once (crates/truce-alloc).
    truce_alloc::tune();
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
    println!("run\tfirst regroup s\titems\tthen checkpoint s\tsecond regroup s\tlist items s");
    for run in 0..runs {
        let path = dir.join(format!("bench-regroup-{}-{run}.truce", std::process::id()));
        let mut ws = Workspace::open(&path).unwrap();
        preload(&mut ws, findings);
        let start = Instant::now();
        let first = planning::regroup(&mut ws).unwrap();
        let t1 = start.elapsed().as_secs_f64();
        // The regroup leaves its pages in the write-ahead log, as an import does; the copy into
        // the database file comes after (in the app, on a background thread). Timed apart.
        let start = Instant::now();
        Workspace::checkpoint(&path).unwrap();
        let tc = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let second = planning::regroup(&mut ws).unwrap();
        let t2 = start.elapsed().as_secs_f64();
        assert!(second.created.is_empty() && second.joined == 0 && second.left == 0);
        let start = Instant::now();
        let items = planning::list_items(ws.conn(), chrono_now()).unwrap();
        let t3 = start.elapsed().as_secs_f64();
        let grouped: u32 = items.iter().map(|i| i.findings).sum();
        assert_eq!(grouped as usize, findings);
        println!("{run}\t{t1:.3}\t{}\t{tc:.3}\t{t2:.3}\t{t3:.3}", first.items);
        drop(ws);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
