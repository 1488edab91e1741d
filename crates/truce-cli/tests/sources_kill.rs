//! A `truce sources sync` process killed with SIGKILL at random moments, again and again, then
//! let finish: the workspace never holds part of a chunk, every chunk is imported once, and the
//! end is what one uninterrupted sync gives. The API is a replay of Tenable's export on loopback
//! whose chunks come slowly, so kills land while chunks are read and while they are written.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CHUNKS: u32 = 6;
const ASSETS_PER_CHUNK: u32 = 40;
const PLUGINS: u32 = 10;

/// Chunk `c`'s vulnerabilities: its own 40 hosts, 10 plugins each; every seventh one FIXED.
fn chunk(c: u32) -> Vec<u8> {
    let mut vulns = Vec::new();
    for a in 0..ASSETS_PER_CHUNK {
        for p in 0..PLUGINS {
            let fixed = (a * PLUGINS + p) % 7 == 0;
            let severity = ["low", "medium", "high", "critical"][(p % 4) as usize];
            vulns.push(serde_json::json!({
                "asset": {
                    "uuid": format!("00000000-0000-4000-8000-{c:04}{a:08}"),
                    "hostname": format!("host-{c}-{a}"),
                    "ipv4": format!("10.{c}.{}.{}", a / 200, a % 200 + 1),
                },
                "plugin": {"id": 100_000 + p, "name": format!("Plugin {p}"), "cve": [format!("CVE-2026-{:04}", 1000 + p)]},
                "port": {"port": 443, "protocol": "TCP"},
                "severity": severity,
                "state": if fixed { "FIXED" } else { "OPEN" },
                "last_found": "2026-11-30T10:00:00.000Z",
                "output": "x".repeat(400),
            }));
        }
    }
    serde_json::to_vec(&vulns).unwrap()
}

/// A Tenable export on loopback: one export, all chunks ready, each chunk sent after `pause`.
fn replay(chunks: Arc<HashMap<u32, Vec<u8>>>, pause: Duration) -> (String, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let exports = Arc::new(Mutex::new(0u32));
    let made = exports.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (chunks, made) = (chunks.clone(), made.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    return;
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut skip = vec![0u8; length];
                let _ = reader.read_exact(&mut skip);
                let path = first.split(' ').nth(1).unwrap_or("").to_string();
                let body: Vec<u8> = if first.starts_with("POST /vulns/export ") {
                    *made.lock().unwrap() += 1;
                    br#"{"export_uuid":"e0000000-0000-4000-8000-000000000001"}"#.to_vec()
                } else if path.ends_with("/status") {
                    let ids: Vec<u32> = (1..=CHUNKS).rev().collect();
                    serde_json::to_vec(&serde_json::json!({"status": "FINISHED", "chunks_available": ids, "chunks_failed": []})).unwrap()
                } else if let Some(id) = path.rsplit('/').next().and_then(|i| i.parse::<u32>().ok())
                {
                    std::thread::sleep(pause);
                    chunks[&id].clone()
                } else {
                    b"{}".to_vec()
                };
                let mut stream = reader.into_inner();
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    (base, exports)
}

fn truce(ws: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_truce"));
    c.arg("--workspace")
        .arg(ws)
        .env_remove("TRUCE_WORKSPACE")
        .env("TRUCE_SOURCE_ACCESS_KEY", "k-access")
        .env("TRUCE_SOURCE_SECRET_KEY", "k-secret");
    c
}

fn count(ws: &Path, sql: &str) -> i64 {
    let ws = truce_core::Workspace::open_existing(ws).unwrap();
    ws.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_sync_killed_again_and_again_ends_as_one_that_was_not() {
    let chunks: Arc<HashMap<u32, Vec<u8>>> =
        Arc::new((1..=CHUNKS).map(|c| (c, chunk(c))).collect());
    let (base, exports) = replay(chunks, Duration::from_millis(120));
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("sec.truce");
    // The source is added without keys in a keyring: this machine's cron passes them each time.
    {
        let mut w = truce_core::Workspace::open(&ws).unwrap();
        truce_core::sources::add(&mut w, "tenable-vm", "Tenable", &base).unwrap();
    }
    // A seeded walk of kill moments (xorshift), between 50 ms and 800 ms into each run.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut kills = 0;
    let started = Instant::now();
    let mut resumed = 0;
    for _ in 0..6 {
        // A run that finds an export in the cursor reads it on: it asks Tenable for none.
        let reading = count(
            &ws,
            "SELECT count(*) FROM sources WHERE cursor LIKE '%\"uuid\"%'",
        ) == 1;
        let asked_before = *exports.lock().unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(50 + seed % 750);
        let mut child = truce(&ws)
            .args(["sources", "sync", "Tenable"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(after);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        if reading {
            resumed += 1;
            assert_eq!(
                *exports.lock().unwrap(),
                asked_before,
                "a resumed run asked for a new export"
            );
        }
        // Whole chunks only: every import row has all of its chunk's findings.
        let partial = count(
            &ws,
            "SELECT count(*) FROM imports i WHERE i.findings NOT IN (0, 400)",
        );
        assert_eq!(partial, 0, "an import holds part of a chunk");
        let findings = count(&ws, "SELECT count(*) FROM findings");
        assert_eq!(findings % 400, 0, "{findings} findings: part of a chunk");
    }
    assert!(kills >= 3, "only {kills} runs were killed mid-sync");
    assert!(started.elapsed() < Duration::from_secs(120));
    let out = truce(&ws)
        .args(["sources", "sync", "Tenable"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let total = (CHUNKS * ASSETS_PER_CHUNK * PLUGINS) as i64;
    assert_eq!(count(&ws, "SELECT count(*) FROM findings"), total);
    assert_eq!(
        count(&ws, "SELECT count(*) FROM imports WHERE findings > 0"),
        CHUNKS as i64,
        "each chunk imported once"
    );
    // Every seventh is fixed, the rest open, as the export says.
    let fixed = (0..ASSETS_PER_CHUNK * PLUGINS)
        .filter(|k| k % 7 == 0)
        .count() as i64
        * CHUNKS as i64;
    assert_eq!(
        count(&ws, "SELECT count(*) FROM findings WHERE status = 'fixed'"),
        fixed
    );
    assert!(
        resumed >= 2,
        "only {resumed} runs found an export to read on"
    );
    assert_eq!(
        count(&ws, "SELECT count(*) FROM sources WHERE cursor LIKE '%\"export\":null%' AND last_sync_at IS NOT NULL"),
        1
    );
}

#[test]
fn ctrl_c_stops_a_sync_at_its_next_wait_and_keeps_what_it_imported() {
    let chunks: Arc<HashMap<u32, Vec<u8>>> =
        Arc::new((1..=CHUNKS).map(|c| (c, chunk(c))).collect());
    // Each chunk takes two seconds to come: Ctrl+C lands while one is awaited.
    let (base, _) = replay(chunks, Duration::from_secs(2));
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("sec.truce");
    {
        let mut w = truce_core::Workspace::open(&ws).unwrap();
        truce_core::sources::add(&mut w, "tenable-vm", "Tenable", &base).unwrap();
    }
    let mut child = truce(&ws)
        .args(["sources", "sync", "Tenable"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the first chunk is in (within 20 s), the person presses Ctrl+C.
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&ws, "SELECT count(*) FROM imports WHERE findings > 0") == 0 {
        assert!(Instant::now() < deadline, "no chunk was imported");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pressed = Instant::now();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    let waited = pressed.elapsed();
    let mut said = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut said)
        .unwrap();
    assert!(!status.success(), "{said}");
    // Not the rest of the two-second chunk: the next wait notices within 100 ms.
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
    assert!(said.contains("the sync was cancelled"), "{said}");
    let findings = count(&ws, "SELECT count(*) FROM findings");
    assert!(findings > 0 && findings % 400 == 0, "{findings} findings");
    assert_eq!(
        findings,
        400 * count(&ws, "SELECT count(*) FROM imports WHERE findings > 0"),
        "what was imported stays, whole"
    );
    let problem: String = {
        let w = truce_core::Workspace::open_existing(&ws).unwrap();
        w.conn()
            .query_row("SELECT last_problem FROM sources", [], |r| r.get(0))
            .unwrap()
    };
    assert!(problem.contains("cancelled"), "{problem}");
}
