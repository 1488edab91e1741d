//! Import benchmark for the .nessus hot path (issue: findings ingest).
//!
//!   cargo run --release -p truce-bench --bin bench-import -- [--items N] [--runs R] [--dir DIR]
//!
//! Scenarios, each in a fresh child process so peak memory (VmHWM) is its own:
//!   fresh     import a generated N-item file into an empty workspace
//!   reimport  import the same file again (nothing changes)
//!   rescan    import a later scan of the same hosts with 5% of the items fixed
//!   big       import the file into a workspace already holding 1,000,000 findings

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use truce_bench::nessus::{self, Spec};
use truce_core::{ingest, Workspace};

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
    let items: usize = get("--items")
        .map(|s| s.parse().expect("--items N"))
        .unwrap_or(100_000);
    let runs: usize = get("--runs")
        .map(|s| s.parse().expect("--runs R"))
        .unwrap_or(3);
    let dir = PathBuf::from(get("--dir").unwrap_or_else(|| "target/bench".into()));
    std::fs::create_dir_all(&dir).unwrap();
    if let Some(scenario) = get("--child") {
        child(&scenario, &dir, items);
        return;
    }
    let base = ensure_file(&dir, items, 0.0, 0);
    let rescan = ensure_file(&dir, items, 0.05, 86_400);
    println!(
        "file: {} ({:.0} MB), rescan: {}",
        base.display(),
        mb(&base),
        rescan.display()
    );
    for scenario in ["parse", "fresh", "reimport", "rescan", "big"] {
        let mut times = Vec::new();
        let mut peaks = Vec::new();
        let mut note = String::new();
        for _ in 0..runs {
            let out = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--child",
                    scenario,
                    "--items",
                    &items.to_string(),
                    "--dir",
                    dir.to_str().unwrap(),
                ])
                .output()
                .expect("child runs");
            assert!(
                out.status.success(),
                "{scenario}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .unwrap_or_default()
                .to_string();
            let mut parts = line.split('\t');
            times.push(parts.next().unwrap().parse::<f64>().unwrap());
            peaks.push(parts.next().unwrap().parse::<f64>().unwrap());
            note = parts.next().unwrap_or_default().to_string();
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = times[times.len() / 2];
        let peak = peaks.iter().cloned().fold(0.0, f64::max);
        println!("{scenario:<9} median {median:>6.3} s  (min {:.3}, max {:.3}, {runs} runs)  peak RSS {peak:>5.0} MB  {note}", times[0], times[times.len() - 1]);
    }
}

fn mb(p: &Path) -> f64 {
    std::fs::metadata(p)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0)
}

fn ensure_file(dir: &Path, items: usize, drop: f64, later: i64) -> PathBuf {
    let path = dir.join(format!("gen-{items}-drop{}.nessus", (drop * 100.0) as u32));
    if !path.exists() {
        let mut spec = Spec::new(items);
        spec.drop_share = drop;
        spec.scan_time += later;
        let tmp = path.with_extension("tmp");
        let mut out = BufWriter::new(File::create(&tmp).unwrap());
        nessus::write(&spec, &mut out).unwrap();
        drop_writer(out);
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

fn drop_writer(mut w: BufWriter<File>) {
    use std::io::Write;
    w.flush().unwrap();
}

/// Runs one scenario; prints "seconds\tpeak_mb\tnote".
fn child(scenario: &str, dir: &Path, items: usize) {
    let base = dir.join(format!("gen-{items}-drop0.nessus"));
    let rescan = dir.join(format!("gen-{items}-drop5.nessus"));
    if scenario == "parse" {
        // The parser alone, on one thread, discarding what it reads: the floor for an import.
        let start = Instant::now();
        let mut input = std::io::BufReader::with_capacity(256 * 1024, File::open(&base).unwrap());
        let mut n = 0usize;
        ingest::formats()[0]
            .parse("bench", &mut input, &mut |a| {
                n += a.findings.len();
                Ok(())
            })
            .unwrap();
        println!(
            "{:.4}\t{:.1}\tparsed {n} items",
            start.elapsed().as_secs_f64(),
            peak_rss_mb()
        );
        return;
    }
    if scenario == "list" {
        // The first screen of a workspace with 1,000,000 findings: counts and the first page.
        let ws_path = dir.join(format!("bench-list-{}.truce", std::process::id()));
        let ws = Workspace::open(&ws_path).unwrap();
        preload(&ws, 1_000_000);
        let start = Instant::now();
        let counts = truce_core::api::counts(&ws).unwrap();
        let counted = start.elapsed().as_secs_f64();
        let q = truce_core::model::FindingsQuery {
            offset: 0,
            limit: 200,
            ..Default::default()
        };
        let page = truce_core::api::findings(&ws, &q).unwrap();
        let secs = start.elapsed().as_secs_f64();
        drop(ws);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", ws_path.display()));
        }
        println!(
            "{secs:.4}\t{:.1}\tcounts {counted:.3} s, {} findings, first page {} rows",
            peak_rss_mb(),
            counts.findings,
            page.rows.len()
        );
        return;
    }
    let ws_path = dir.join(format!("bench-{scenario}-{}.truce", std::process::id()));
    let mut ws = Workspace::open(&ws_path).unwrap();
    if let Ok(v) = std::env::var("BENCH_PRAGMAS") {
        ws.conn().execute_batch(&v).unwrap();
    }
    match scenario {
        "reimport" | "rescan" => {
            ingest::import_file(&mut ws, &base, None).unwrap();
        }
        "big" => preload(&ws, 1_000_000),
        _ => {}
    }
    let file = if scenario == "rescan" { &rescan } else { &base };
    let start = Instant::now();
    let r = ingest::import_file(&mut ws, file, None).unwrap();
    let secs = start.elapsed().as_secs_f64();
    // The import leaves its pages in the write-ahead log; what copying them costs, apart.
    let start = Instant::now();
    let (log, copied) = Workspace::checkpoint(&ws_path).unwrap();
    let checkpoint = start.elapsed().as_secs_f64();
    drop(ws);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", ws_path.display()));
    }
    println!(
        "{secs:.4}\t{:.1}\tfindings {} new {} closed {} reopened {} unchanged {}, then checkpoint {checkpoint:.2} s ({copied}/{log} pages)",
        peak_rss_mb(),
        r.findings,
        r.new,
        r.closed,
        r.reopened,
        r.unchanged
    );
}

/// 1,000,000 findings on 20,000 other assets, written straight in SQL (fast to set up).
fn preload(ws: &Workspace, findings: usize) {
    let assets = 20_000;
    let per = findings / assets;
    ws.conn()
        .execute_batch(&format!(
            "BEGIN;
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {assets} - 1)
             INSERT INTO assets (id, name, created_at, updated_at)
               SELECT printf('pre-a-%06d', i), printf('pre%06d.example.net', i), '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z' FROM n;
             INSERT INTO asset_identifiers (asset_id, kind, value) SELECT id, 'fqdn', name FROM assets WHERE id LIKE 'pre-a-%';
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {per} - 1)
             INSERT INTO vulnerabilities (id, scanner, scanner_id, title, severity)
               SELECT printf('pre-v-%04d', i), 'nessus', printf('pre%d', i), printf('Preloaded %d', i), 'medium' FROM n;
             INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, status, first_seen, last_seen)
               SELECT a.id || v.id, a.id, v.id, '443/tcp', 'medium', 'open', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z'
               FROM assets a, vulnerabilities v WHERE a.id LIKE 'pre-a-%' AND v.id LIKE 'pre-v-%';
             COMMIT;"
        ))
        .unwrap();
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
