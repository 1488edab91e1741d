//! Laptops syncing through a hub that dies and a network that cuts, on a real PostgreSQL: five
//! laptop processes edit offline and import, then sync in rounds, in whatever order the machine
//! runs them, while the hub process is killed with SIGKILL and restarted, and a proxy between
//! them on 127.0.0.1 cuts connections in the middle of the hub's answers (so the hub stored a
//! batch the laptop never heard about, and the laptop delivers it again). At the end every
//! laptop's plan equals the plan of a laptop that joins from the hub, and every operation any
//! laptop made is on the hub and in every laptop's history.

mod plan;
use plan::{first_difference, plan};
mod postgres;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use truce_core::asset_facts::{self, FactsChange};
use truce_core::{ingest, planning, sync, Workspace};

const LAPTOPS: usize = 5;
const ROUNDS: usize = 4;
const EDITS: usize = 15;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/scans/tenable/nessus")
        .join(name)
}

/// A tiny xorshift: the laptops' choices, reproducible from their seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Syncs until the hub answers, a bounded number of times: the hub may be dead or restarting,
/// the connection cut.
fn sync_until_done(ws: &mut Workspace, token: &str, who: &str) {
    for attempt in 0..150 {
        match sync::sync(ws, token) {
            Ok(_) => return,
            Err(e) => {
                if attempt % 10 == 0 {
                    eprintln!("{who}: sync attempt {attempt}: {e}");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    panic!("{who}: the hub never answered in 150 attempts");
}

/// What a laptop process does when the test starts it (`TRUCE_FAULT_LAPTOP` set): rounds of
/// offline edits (and an import), each followed by a sync. An ignored test, so the laptop is this
/// same binary in a process of its own, started with `--ignored`; not a test on its own.
#[test]
#[ignore = "a laptop process the fault tests start"]
fn laptop_process() {
    let spec = std::env::var("TRUCE_FAULT_LAPTOP").expect("started by the fault tests");
    let parts: Vec<&str> = spec.split('|').collect();
    let (path, token, n): (&str, &str, usize) = (parts[0], parts[1], parts[2].parse().unwrap());
    let who = format!("laptop-{n}");
    let mut ws = Workspace::open(path).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((n as u64 + 1) * 0x2545_f491));
    for round in 0..ROUNDS {
        let items: Vec<String> = ids(&ws, "SELECT id FROM work_items ORDER BY id");
        let assets: Vec<String> = ids(&ws, "SELECT id FROM assets ORDER BY id");
        for e in 0..EDITS {
            match rng.below(3) {
                0 | 1 if !items.is_empty() => {
                    let item = &items[rng.below(items.len())];
                    let title = format!("{who} round {round} edit {e}");
                    planning::states::edit(&mut ws, item, "title", &title, &who, "").unwrap();
                }
                _ => {
                    let asset = assets[rng.below(assets.len())].clone();
                    let tag = format!("tag{}", rng.below(3));
                    let add = rng.below(2) == 0;
                    let change = FactsChange {
                        add_tags: if add { vec![tag.clone()] } else { vec![] },
                        remove_tags: if add { vec![] } else { vec![tag] },
                        criticality: Some(["low", "high"][rng.below(2)].to_string()),
                        ..FactsChange::default()
                    };
                    asset_facts::set(&mut ws, &[asset], &change).unwrap();
                }
            }
        }
        // Two laptops import the same new scan offline: one asset and one finding per key.
        if round == 1 && n % 2 == 1 {
            ingest::import_file(&mut ws, &corpus("nessus_with_cvssv3.nessus"), None).unwrap();
            planning::grouping::regroup_if_planning(&mut ws).unwrap();
        }
        sync_until_done(&mut ws, token, &who);
    }
}

/// A laptop that syncs over and over until it is killed (`TRUCE_FAULT_SYNCER` set); started by
/// the fault tests like [`laptop_process`].
#[test]
#[ignore = "a laptop process the fault tests start"]
fn syncer_process() {
    let spec = std::env::var("TRUCE_FAULT_SYNCER").expect("started by the fault tests");
    let (path, token) = spec.split_once('|').unwrap();
    let mut ws = Workspace::open(path).unwrap();
    loop {
        let _ = sync::sync(&mut ws, token);
    }
}

/// A laptop killed with SIGKILL at any moment of a sync (while it reads the hub's answer, merges
/// a page, regroups) loses nothing it had committed, holds no half-merged page, and the next sync
/// picks up where the last committed page left off.
#[test]
fn a_laptop_killed_mid_sync_loses_nothing_and_resumes() {
    let pg = postgres::Postgres::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let database = rt.block_on(pg.database("killed_laptop"));
    let pool = truce_hub::pool(&database).unwrap();
    let hub_port = free_port();
    let mut hub = start_hub(&database, hub_port);
    let base = format!("http://127.0.0.1:{hub_port}");
    let dir = tempfile::tempdir().unwrap();
    // A first laptop with four real scans: a few thousand operations to pull.
    let mut first = Workspace::open(dir.path().join("first.truce")).unwrap();
    for scan in [
        "nessus_v_unknown.xml",
        "issue_6992.nessus",
        "nessus_with_cwe-.nessus",
        "nessus_with_cvssv3.nessus",
    ] {
        ingest::import_file(&mut first, &corpus(scan), None).unwrap();
    }
    planning::regroup(&mut first).unwrap();
    sync::connect(&mut first, &base).unwrap();
    let (workspace, device) = sync::identity(&first).unwrap();
    let first_token = token(&rt, &pool, &workspace, &device);
    sync_until_done(&mut first, &first_token, "first");

    // The laptop joins, and makes changes of its own before it ever pulls.
    let path = dir.path().join("laptop.truce");
    let mut laptop = Workspace::open(&path).unwrap();
    let laptop_token = token(&rt, &pool, &workspace, &sync::identity(&laptop).unwrap().1);
    sync::join(&mut laptop, &base, &workspace).unwrap();
    for n in 0..5 {
        planning::people::add_team(&mut laptop, &format!("Team made offline {n}"), "ops").unwrap();
    }
    drop(laptop);
    let mut rng = Rng(0x5eed);
    for kill in 0..6 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "syncer_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(
                "TRUCE_FAULT_SYNCER",
                format!("{}|{laptop_token}", path.display()),
            )
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(50 + 60 * rng.below(8) as u64));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let ws = Workspace::open(&path).unwrap();
        let ok: String = ws
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok", "after kill {kill}");
        let teams = ids(
            &ws,
            "SELECT name FROM teams WHERE name LIKE 'Team made offline %'",
        );
        assert_eq!(
            teams.len(),
            5,
            "after kill {kill}: the changes made here are all there"
        );
        // Every pulled operation up to the cursor is merged, none past it: no half page.
        let cursor: i64 = ws
            .conn()
            .query_row("SELECT pulled_seq FROM hub", [], |r| r.get(0))
            .unwrap();
        let past: i64 = ws
            .conn()
            .query_row(
                "SELECT count(*) FROM change_log WHERE hub_seq > ?1",
                [cursor],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            past, 0,
            "after kill {kill}: nothing merged past the cursor {cursor}"
        );
    }
    let mut ws = Workspace::open(&path).unwrap();
    sync_until_done(&mut ws, &laptop_token, "laptop");
    sync_until_done(&mut first, &first_token, "first");
    let p = plan(&ws);
    let f = plan(&first);
    assert!(
        p == f,
        "the killed laptop differs: {}",
        first_difference(&p, &f)
    );
    hub.kill();
}

fn ids(ws: &Workspace, sql: &str) -> Vec<String> {
    ws.conn()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every shared table's rows, sorted (the recorded tables, the findings' memberships, the
/// per-item aggregates).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A hub process, killed when dropped: a failing test leaves none behind.
struct HubProcess(Child);

impl HubProcess {
    /// SIGKILL, and wait for it to be gone.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn start_hub(database: &str, port: u16) -> HubProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_truce-hub"))
        .args(["serve", "--database", database, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .env("TRUCE_LOG", "warn")
        .spawn()
        .unwrap();
    let child = HubProcess(child);
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the hub did not start on port {port}");
}

/// A proxy on 127.0.0.1 in front of the hub: while `faulty` is set it cuts one connection in
/// three part-way through the hub's answer. Answers how many it cut.
fn proxy(hub_port: u16, faulty: Arc<AtomicBool>) -> (u16, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cuts = Arc::new(AtomicU64::new(0));
    let counted = cuts.clone();
    std::thread::spawn(move || {
        for (n, client) in listener.incoming().enumerate() {
            let Ok(client) = client else { continue };
            let Ok(hub) = TcpStream::connect(("127.0.0.1", hub_port)) else {
                continue; // The hub is down: the laptop sees a closed connection.
            };
            let cut = faulty.load(Ordering::SeqCst) && n % 3 == 1;
            let counted = counted.clone();
            let (mut c_in, mut h_out) = (client.try_clone().unwrap(), hub.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c_in, &mut h_out);
            });
            std::thread::spawn(move || {
                let (mut h_in, mut c_out) = (hub, client);
                let mut buf = [0u8; 4096];
                let mut sent = 0usize;
                loop {
                    let Ok(k) = h_in.read(&mut buf) else { break };
                    if k == 0 {
                        break;
                    }
                    if cut && sent + k > 20 {
                        // Part of the status line, then nothing: the hub did its work, the
                        // laptop never hears the answer.
                        let _ = c_out.write_all(&buf[..20 - sent.min(20)]);
                        counted.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    if c_out.write_all(&buf[..k]).is_err() {
                        break;
                    }
                    sent += k;
                }
                let _ = c_out.shutdown(std::net::Shutdown::Both);
                let _ = h_in.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (port, cuts)
}

fn token(rt: &tokio::runtime::Runtime, pool: &truce_hub::Pool, ws: &str, device: &str) -> String {
    rt.block_on(truce_hub::devices::issue(pool, ws, device, "Tester", "ops"))
        .unwrap()
}

#[test]
fn five_laptops_converge_through_a_killed_hub_and_a_cutting_network() {
    let pg = postgres::Postgres::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let database = rt.block_on(pg.database("faults"));
    let pool = truce_hub::pool(&database).unwrap();
    let hub_port = free_port();
    let mut hub = start_hub(&database, hub_port);
    let faulty = Arc::new(AtomicBool::new(false));
    let (proxy_port, cuts) = proxy(hub_port, faulty.clone());
    let base = format!("http://127.0.0.1:{proxy_port}");
    let dir = tempfile::tempdir().unwrap();
    let path = |n: usize| dir.path().join(format!("laptop-{n}.truce"));

    // The first laptop's scan and items; the others join its workspace.
    let mut first = Workspace::open(path(0)).unwrap();
    ingest::import_file(&mut first, &corpus("nessus_v_unknown.xml"), None).unwrap();
    planning::regroup(&mut first).unwrap();
    sync::connect(&mut first, &base).unwrap();
    let (workspace, device) = sync::identity(&first).unwrap();
    let mut tokens = vec![token(&rt, &pool, &workspace, &device)];
    sync_until_done(&mut first, &tokens[0], "laptop-0");
    drop(first);
    for n in 1..LAPTOPS {
        let mut ws = Workspace::open(path(n)).unwrap();
        let device = sync::identity(&ws).unwrap().1;
        tokens.push(token(&rt, &pool, &workspace, &device));
        sync::join(&mut ws, &base, &workspace).unwrap();
        sync_until_done(&mut ws, &tokens[n], &format!("laptop-{n}"));
    }

    // Five processes edit and sync while the network cuts and the hub is killed twice.
    faulty.store(true, Ordering::SeqCst);
    let mut laptops: Vec<Child> = (0..LAPTOPS)
        .map(|n| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "laptop_process",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(
                    "TRUCE_FAULT_LAPTOP",
                    format!("{}|{}|{n}", path(n).display(), tokens[n]),
                )
                .spawn()
                .unwrap()
        })
        .collect();
    let started = Instant::now();
    for pause in [Duration::from_millis(700), Duration::from_millis(1_500)] {
        std::thread::sleep(pause);
        hub.kill(); // SIGKILL
        std::thread::sleep(Duration::from_millis(300));
        hub = start_hub(&database, hub_port);
    }
    for (n, child) in laptops.iter_mut().enumerate() {
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "laptop {n} failed: {status}");
                break;
            }
            if started.elapsed() > Duration::from_secs(240) {
                let _ = child.kill();
                panic!("laptop {n} did not finish in 240 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    faulty.store(false, Ordering::SeqCst);
    assert!(
        cuts.load(Ordering::SeqCst) > 0,
        "the proxy cut some answers"
    );

    // Everyone sends what is left, then everyone pulls; a new laptop joins from the hub.
    let mut all: Vec<Workspace> = (0..LAPTOPS)
        .map(|n| Workspace::open(path(n)).unwrap())
        .collect();
    for (n, ws) in all.iter_mut().enumerate() {
        sync_until_done(ws, &tokens[n], &format!("laptop-{n}"));
    }
    for (n, ws) in all.iter_mut().enumerate() {
        sync_until_done(ws, &tokens[n], &format!("laptop-{n}"));
    }
    let mut mirror = Workspace::open(dir.path().join("mirror.truce")).unwrap();
    let mirror_token = token(&rt, &pool, &workspace, &sync::identity(&mirror).unwrap().1);
    sync::join(&mut mirror, &base, &workspace).unwrap();
    sync_until_done(&mut mirror, &mirror_token, "mirror");
    let hubs = plan(&mirror);
    for (n, ws) in all.iter().enumerate() {
        let p = plan(ws);
        assert!(
            p == hubs,
            "laptop {n} differs from the hub: {}",
            first_difference(&p, &hubs)
        );
    }

    // Every operation made anywhere is on the hub, once, and in every laptop's history.
    let on_hub: Vec<(String, i64)> = rt.block_on(async {
        let client = pool.get().await.unwrap();
        client
            .query(
                "SELECT device, hlc FROM ops WHERE workspace_id = $1 ORDER BY seq",
                &[&workspace],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    });
    let hub_set: HashSet<(String, i64)> = on_hub.iter().cloned().collect();
    assert_eq!(hub_set.len(), on_hub.len(), "each operation stored once");
    for (n, ws) in all.iter().enumerate() {
        let me = sync::identity(ws).unwrap().1;
        let logged: Vec<(String, i64)> = ws
            .conn()
            .prepare("SELECT device, hlc FROM change_log WHERE note = 0 AND (hub_seq IS NOT NULL OR device = (SELECT id FROM device))")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let logged_set: HashSet<(String, i64)> = logged.iter().cloned().collect();
        for mine in logged.iter().filter(|(d, _)| *d == me) {
            assert!(
                hub_set.contains(mine),
                "laptop {n}'s {mine:?} never reached the hub"
            );
        }
        for op in &on_hub {
            assert!(
                logged_set.contains(op),
                "laptop {n} lacks {op:?} in its history"
            );
        }
    }
    hub.kill();
}
