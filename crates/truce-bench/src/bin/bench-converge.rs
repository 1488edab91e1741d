//! Laptops converging through the team hub: `bench-converge --database URL [--laptops 20]
//! [--edits 500]`. The hub runs in this process on loopback. A first laptop imports a real scan
//! and its items; the others join its workspace. Each laptop then makes `--edits` offline edits
//! (item titles and asset tags, chosen by a seeded generator, several laptops touching the same
//! items), and all sync at once: each pushes, then pulls and merges everyone's. Timed: from the
//! first push to the last laptop's merge; then every laptop's plan is compared.

use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use truce_bench::rng::Rng;
use truce_core::asset_facts::{self, FactsChange};
use truce_core::planning::{self, states};
use truce_core::{ingest, sync, Workspace};

struct Args {
    database: String,
    laptops: usize,
    edits: usize,
}

fn args() -> Args {
    let mut a = Args {
        database: String::new(),
        laptops: 20,
        edits: 500,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--database" => a.database = value,
            "--laptops" => a.laptops = value.parse().unwrap(),
            "--edits" => a.edits = value.parse().unwrap(),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        !a.database.is_empty(),
        "--database postgres://… is required"
    );
    a
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

/// What every laptop must agree on after the sync.
fn digest(ws: &Workspace) -> Vec<String> {
    let mut all = ids(ws, "SELECT id || ' ' || title FROM work_items ORDER BY id");
    all.extend(ids(
        ws,
        "SELECT asset_id || ' ' || tag FROM asset_tags ORDER BY 1",
    ));
    all
}

fn main() {
    truce_alloc::tune();
    let a = args();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = truce_hub::pool(&a.database).unwrap();
    runtime.block_on(truce_hub::schema::migrate(&pool)).unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(truce_hub::serve(listener, pool.clone()));

    let dir = tempfile::tempdir().unwrap();
    let report = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/scans/tenable/nessus/nessus_v_unknown.xml"
    ));
    let mut first = Workspace::open(dir.path().join("laptop-0.truce")).unwrap();
    ingest::import_file(&mut first, &report, None).unwrap();
    planning::regroup(&mut first).unwrap();
    sync::connect(&mut first, &base).unwrap();
    let (workspace, device) = sync::identity(&first).unwrap();
    let issue = |device: &str| {
        runtime
            .block_on(truce_hub::devices::issue(
                &pool, &workspace, device, "bench", "ops",
            ))
            .unwrap()
    };
    let token = issue(&device);
    sync::sync(&mut first, &token).unwrap();
    let mut laptops = vec![(first, token)];
    for n in 1..a.laptops {
        let mut ws = Workspace::open(dir.path().join(format!("laptop-{n}.truce"))).unwrap();
        let device = sync::identity(&ws).unwrap().1;
        let token = issue(&device);
        sync::join(&mut ws, &base, &workspace).unwrap();
        sync::pull(&mut ws, &token).unwrap();
        laptops.push((ws, token));
    }
    let items = ids(&laptops[0].0, "SELECT id FROM work_items ORDER BY id");
    let assets = ids(&laptops[0].0, "SELECT id FROM assets ORDER BY id");
    println!(
        "{} laptops, {} offline edits each, over {} items and {} assets; hub and PostgreSQL on this machine",
        a.laptops,
        a.edits,
        items.len(),
        assets.len()
    );
    let made = Instant::now();
    for (n, (ws, _)) in laptops.iter_mut().enumerate() {
        let mut rng = Rng::new(n as u64 + 1);
        for e in 0..a.edits {
            if rng.chance(0.6) {
                let item = &items[rng.below(items.len() as u64) as usize];
                let title = format!("laptop {n} edit {e}");
                states::edit(ws, item, "title", &title, "bench", "").unwrap();
            } else {
                let asset = assets[rng.below(assets.len() as u64) as usize].clone();
                let tag = format!("tag{}", rng.below(5));
                let add = rng.chance(0.5);
                let change = FactsChange {
                    add_tags: if add { vec![tag.clone()] } else { vec![] },
                    remove_tags: if add { vec![] } else { vec![tag] },
                    ..FactsChange::default()
                };
                asset_facts::set(ws, &[asset], &change).unwrap();
            }
        }
    }
    println!(
        "edits made in {:.1} s (not timed below)",
        made.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let all_pushed = Arc::new(Barrier::new(laptops.len()));
    let handles: Vec<_> = laptops
        .into_iter()
        .map(|(mut ws, token)| {
            let all_pushed = all_pushed.clone();
            std::thread::spawn(move || {
                let pushed = sync::push(&mut ws, &token).unwrap().sent;
                all_pushed.wait();
                let r = sync::pull(&mut ws, &token).unwrap();
                (ws, pushed, r, started.elapsed())
            })
        })
        .collect();
    let done: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let took = started.elapsed();
    let pushed: u64 = done.iter().map(|d| d.1).sum();
    let merged: u64 = done
        .iter()
        .map(|d| d.2.merged.applied + d.2.merged.lost)
        .sum();
    let conflicts: u64 = done.iter().map(|d| d.2.merged.conflicts).sum();
    println!(
        "synced and converged in {:.2} s: {pushed} operations pushed, {merged} merged across laptops, {conflicts} conflicts found",
        took.as_secs_f64()
    );
    let reference = digest(&done[0].0);
    for (n, d) in done.iter().enumerate() {
        assert_eq!(digest(&d.0), reference, "laptop {n} differs");
    }
    println!(
        "every laptop holds the same {} titles and tags",
        reference.len()
    );
}
