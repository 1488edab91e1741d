//! Syncing a Tenable Vulnerability Management export from its API, timed as a person waits for
//! it: the whole `truce sources sync --full` command against a replay of the export on loopback,
//! side by side with `truce import` of as many findings in one .nessus file, of the same chunks
//! saved as files, and (when installed,
//! `pip install pytenable`) pyTenable iterating the same export from the same server.
//!
//!   bench-source [--vulns 1000000] [--chunks 200] [--runs 2] [--dir DIR] [--truce target/release/truce]
//!
//! After the full sync, an incremental one is timed on the same workspace: the export of what
//! changed since, 1% of the vulnerabilities (1% of the hosts, every other plugin's state flipped).
//!
//! The export: `--vulns` vulnerabilities on vulns/50 hosts (50 plugins each, every seventh FIXED,
//! 300 bytes of plugin output each), seeded, in `--chunks` chunks of whole hosts, as Tenable
//! documents them. The server holds them in memory and answers at once; each measured command
//! runs in a process of its own (`/usr/bin/time`: wall seconds, peak RSS).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

const PLUGINS: usize = 50;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// Chunk `c` of `chunks` over `hosts` hosts: its hosts' vulnerabilities as Tenable's JSON.
fn chunk(c: usize, chunks: usize, hosts: usize) -> Vec<u8> {
    let per = hosts.div_ceil(chunks);
    vulns_of(c * per..((c + 1) * per).min(hosts), false)
}

/// The vulnerabilities of hosts `range`; `later`: as a later export gives them, every other
/// plugin's state flipped (fixed ones reopened, open ones fixed) and seen two days on.
fn vulns_of(range: std::ops::Range<usize>, later: bool) -> Vec<u8> {
    let mut vulns = Vec::with_capacity(range.len() * PLUGINS);
    for h in range {
        let asset = json!({
            "uuid": format!("00000000-0000-4000-8000-{h:012}"),
            "hostname": format!("srv{h:06}"),
            "fqdn": format!("srv{h:06}.corp.example"),
            "ipv4": format!("10.{}.{}.{}", h / 65_536, (h / 256) % 256, h % 256),
            "operating_system": ["Linux Kernel 5.15 on Ubuntu 22.04"],
        });
        for p in 0..PLUGINS {
            let was_fixed = (h * PLUGINS + p).is_multiple_of(7);
            let fixed = was_fixed != (later && p % 2 == 0);
            let severity = ["low", "medium", "high", "critical"][p % 4];
            let port = if p % 5 == 0 { 443 } else { 0 };
            let state = if fixed { "FIXED" } else { "OPEN" };
            vulns.push(json!({
                "asset": asset,
                "plugin": {
                    "id": 150_000 + p, "name": format!("Vendor package {p} < 2.{p} multiple vulnerabilities"),
                    "family": "Ubuntu Local Security Checks",
                    "cve": [format!("CVE-2026-{:05}", 20_000 + p)],
                    "cvss3_base_score": 4.0 + (p % 6) as f64, "epss_score": (p % 90) as f64 + 0.5,
                    "description": "The remote host is missing one or more security updates.",
                    "solution": "Update the affected packages.",
                    "vpr": {"score": 3.0 + (p % 7) as f64},
                },
                "port": {"port": port, "protocol": "TCP"},
                "severity": severity,
                "state": if later && !fixed && was_fixed { "REOPENED" } else { state },
                "first_found": "2026-10-01T08:00:00.000Z",
                "last_found": if later { "2026-12-02T08:00:00.000Z" } else { "2026-11-30T08:00:00.000Z" },
                "output": "Remote package installed : vendor-pkg_2.0-1ubuntu1\nShould be : vendor-pkg_2.1-0ubuntu0.22.04.1\n".repeat(3),
            }));
        }
    }
    serde_json::to_vec(&vulns).unwrap()
}

/// The exports the server hands out: the whole one, and the later one of what changed since (a
/// request whose `since` is later than the full sync's 2000-01-01 gets that one; pyTenable asks
/// without one).
struct Exports {
    whole: Vec<Vec<u8>>,
    changed: Vec<Vec<u8>>,
    incremental: std::sync::atomic::AtomicBool,
}

impl Exports {
    fn current(&self) -> &Vec<Vec<u8>> {
        if self.incremental.load(std::sync::atomic::Ordering::Relaxed) {
            &self.changed
        } else {
            &self.whole
        }
    }
}

type Chunks = Arc<Exports>;

async fn start(State(e): State<Chunks>, Json(body): Json<serde_json::Value>) -> impl IntoResponse {
    let since = body["filters"]["since"].as_i64().unwrap_or(0);
    e.incremental
        .store(since > 946_684_800, std::sync::atomic::Ordering::Relaxed);
    Json(json!({"export_uuid": "b0000000-0000-4000-8000-000000000001"}))
}

async fn status(State(e): State<Chunks>, UrlPath(uuid): UrlPath<String>) -> impl IntoResponse {
    let chunks = e.current();
    let ids: Vec<usize> = (1..=chunks.len()).collect();
    Json(json!({
        "uuid": uuid, "status": "FINISHED", "chunks_available": ids, "chunks_failed": [],
        "chunks_cancelled": [], "total_chunks": chunks.len(), "finished_chunks": chunks.len(),
        "empty_chunks_count": 0, "num_assets_per_chunk": 100, "created": 1764547200000i64,
        "filters": {}
    }))
}

async fn chunk_of(
    State(e): State<Chunks>,
    UrlPath((_, id)): UrlPath<(String, usize)>,
) -> impl IntoResponse {
    match e.current().get(id.wrapping_sub(1)) {
        Some(bytes) => (
            [("content-type", "application/octet-stream")],
            bytes.clone(),
        )
            .into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

/// Runs `cmd` under /usr/bin/time: (wall seconds, peak RSS in MB).
fn timed(cmd: &mut Command) -> (f64, f64) {
    let report = std::env::temp_dir().join(format!("bench-source-{}.time", std::process::id()));
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped.arg("-f").arg("%e %M").arg("-o").arg(&report);
    wrapped.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    let out = wrapped.output().expect("/usr/bin/time runs");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&report).unwrap();
    let mut parts = text.split_whitespace();
    let secs: f64 = parts.next().unwrap().parse().unwrap();
    let kb: f64 = parts.next().unwrap().parse().unwrap();
    (secs, kb / 1024.0)
}

/// The workspace's size and its write-ahead log's, in MB, before it is thrown away.
fn sizes(path: &Path) -> String {
    let mb = |p: String| std::fs::metadata(p).map_or(0, |m| m.len() >> 20);
    format!(
        "file {} MB, log {} MB",
        mb(path.display().to_string()),
        mb(format!("{}-wal", path.display()))
    )
}

fn fresh(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

fn main() {
    let vulns: usize = arg("--vulns").map_or(1_000_000, |v| v.parse().expect("a number"));
    let chunks: usize = arg("--chunks").map_or(200, |v| v.parse().expect("a number"));
    let runs: usize = arg("--runs").map_or(2, |v| v.parse().expect("a number"));
    let dir = PathBuf::from(arg("--dir").unwrap_or_else(|| "target/bench-source".into()));
    let truce = PathBuf::from(arg("--truce").unwrap_or_else(|| "target/release/truce".into()));
    std::fs::create_dir_all(dir.join("chunks")).unwrap();
    let hosts = vulns / PLUGINS;
    let made: Vec<Vec<u8>> = (0..chunks).map(|c| chunk(c, chunks, hosts)).collect();
    let bytes: usize = made.iter().map(Vec::len).sum();
    let mut files = Vec::new();
    for (i, c) in made.iter().enumerate() {
        let f = dir.join("chunks").join(format!("chunk-{:03}.json", i + 1));
        std::fs::write(&f, c).unwrap();
        files.push(f);
    }
    println!(
        "export: {vulns} vulnerabilities on {hosts} hosts in {chunks} chunks, {} MB",
        bytes >> 20
    );
    // The later export: 1% of the hosts, all their vulnerabilities, half of them changed.
    let changed_hosts = (hosts / 100).max(1);
    let changed: Vec<Vec<u8>> = (0..2)
        .map(|i| vulns_of(i * changed_hosts / 2..(i + 1) * changed_hosts / 2, true))
        .collect();
    let changed_vulns = changed_hosts * PLUGINS;
    let made: Chunks = Arc::new(Exports {
        whole: made,
        changed,
        incremental: false.into(),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/vulns/export", post(start))
        .route("/vulns/export/{uuid}/status", get(status))
        .route("/vulns/export/{uuid}/chunks/{id}", get(chunk_of))
        .with_state(made);
    rt.spawn(async move { axum::serve(listener, app).await });
    let base = format!("http://{addr}");

    let peer = Command::new("python3")
        .args(["-c", "import tenable.io"])
        .output()
        .is_ok_and(|o| o.status.success());
    // The file the import benchmark reads: as many findings on as many hosts, one .nessus file.
    let nessus = dir.join(format!("gen-{vulns}.nessus"));
    if !nessus.exists() {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&nessus).unwrap());
        truce_bench::nessus::write(&truce_bench::nessus::Spec::new(vulns), &mut out).unwrap();
        std::io::Write::flush(&mut out).unwrap();
    }
    for run in 1..=runs {
        let ws = dir.join("nessus.truce");
        fresh(&ws);
        let mut import = Command::new(&truce);
        import
            .arg("--workspace")
            .arg(&ws)
            .arg("import")
            .arg(&nessus);
        let (s, mb) = timed(&mut import);
        println!("run {run}: truce import of one .nessus file of {vulns} findings: {s:.2} s, peak {mb:.0} MB ({})", sizes(&ws));
        fresh(&ws);

        let ws = dir.join("file.truce");
        fresh(&ws);
        let mut import = Command::new(&truce);
        import
            .arg("--workspace")
            .arg(&ws)
            .arg("import")
            .args(&files);
        let (s, mb) = timed(&mut import);
        println!(
            "run {run}: truce import of the {chunks} chunk files: {s:.2} s, peak {mb:.0} MB ({})",
            sizes(&ws)
        );
        fresh(&ws);

        let ws = dir.join("api.truce");
        fresh(&ws);
        let ok = Command::new(&truce)
            .arg("--workspace")
            .arg(&ws)
            .args([
                "sources",
                "add",
                "tenable-vm",
                "--name",
                "T",
                "--url",
                &base,
            ])
            .env("TRUCE_SOURCE_ACCESS_KEY", "a")
            .env("TRUCE_SOURCE_SECRET_KEY", "s")
            .output()
            .unwrap();
        // Without a keyring the source is not kept: add it straight, keys come with the sync.
        if !ok.status.success() {
            let mut w = truce_core::Workspace::open(&ws).unwrap();
            truce_core::sources::add(&mut w, "tenable-vm", "T", &base).unwrap();
        }
        let mut sync = Command::new(&truce);
        sync.arg("--workspace")
            .arg(&ws)
            .args(["sources", "sync", "T", "--full"])
            .env("TRUCE_SOURCE_ACCESS_KEY", "a")
            .env("TRUCE_SOURCE_SECRET_KEY", "s");
        let (s, mb) = timed(&mut sync);
        println!("run {run}: truce sources sync --full from the API: {s:.2} s, peak {mb:.0} MB");
        let findings: i64 = rusqlite::Connection::open(&ws)
            .unwrap()
            .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(findings as usize, vulns, "every vulnerability landed");
        println!("        the synced workspace: {}", sizes(&ws));
        // What a sync a day later waits for: the export of what changed since, 1% of it.
        let mut again = Command::new(&truce);
        again
            .arg("--workspace")
            .arg(&ws)
            .args(["sources", "sync", "T"])
            .env("TRUCE_SOURCE_ACCESS_KEY", "a")
            .env("TRUCE_SOURCE_SECRET_KEY", "s");
        let (s, mb) = timed(&mut again);
        println!("run {run}: truce sources sync, incremental ({changed_vulns} of {vulns} changed): {s:.2} s, peak {mb:.0} MB");
        let fixed: i64 = rusqlite::Connection::open(&ws)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM findings WHERE status = 'fixed'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        println!("        fixed findings after it: {fixed}");
        fresh(&ws);

        if peer {
            let script = format!(
                "from tenable.io import TenableIO\n\
                 tio = TenableIO('a', 's', url='{base}')\n\
                 n = sum(1 for _ in tio.exports.vulns())\n\
                 assert n == {vulns}, n\n"
            );
            let mut py = Command::new("python3");
            py.args(["-c", &script]);
            let (s, mb) = timed(&mut py);
            println!("run {run}: pyTenable iterating the export: {s:.2} s, peak {mb:.0} MB");
        }
    }
}
