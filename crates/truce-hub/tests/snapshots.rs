//! Joining from a snapshot, on a real PostgreSQL: an admin's laptop gives the hub a snapshot, a
//! new laptop starts from it and pulls only what came after, and ends with the same plan and
//! every operation in its history as its own device. Only an admin gives one; a refused, cut or
//! broken snapshot changes nothing anywhere.

mod plan;
mod postgres;

use std::io::Write;
use std::path::{Path, PathBuf};

use plan::{first_difference, plan};
use truce_core::sync::snapshot::{self, Unused};
use truce_core::workspace::OpenOptions;
use truce_core::{ingest, planning, sync, Workspace};

async fn hub(url: &str) -> String {
    let pool = truce_hub::pool(url).unwrap();
    truce_hub::schema::migrate(&pool).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, truce_hub::router(pool)).await });
    base
}

async fn token(url: &str, ws: &str, device: &str, role: &str) -> String {
    let pool = truce_hub::pool(url).unwrap();
    truce_hub::devices::issue(&pool, ws, device, "Dana Ops", role)
        .await
        .unwrap()
}

fn report() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/scans/tenable/nessus/nessus_v_unknown.xml"
    ))
}

/// A new workspace's device id (what the hub's admin lets in).
fn device_of(path: &Path) -> String {
    sync::identity(&Workspace::open(path).unwrap()).unwrap().1
}

/// Every (device, clock) the hub holds for `workspace`, pulled page by page.
fn on_hub(base: &str, token: &str, workspace: &str) -> Vec<(String, i64)> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = truce_net::hub::pull(base, token, workspace, after, 5_000).unwrap();
        if page.ops.is_empty() {
            return all;
        }
        all.extend(page.ops.iter().map(|s| (s.op.device.clone(), s.op.hlc)));
        after = page.next;
    }
}

fn in_history(ws: &Workspace, (device, hlc): &(String, i64)) -> bool {
    ws.conn()
        .query_row(
            "SELECT count(*) FROM change_log WHERE device = ?1 AND hlc = ?2",
            rusqlite::params![device, hlc],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_on_a_real_postgres() {
    let pg = postgres::Postgres::start();
    a_new_laptop_joins_from_a_snapshot_and_pulls_only_what_came_after(&pg).await;
    only_an_admin_gives_one_and_a_cut_or_broken_snapshot_changes_nothing(&pg).await;
}

async fn a_new_laptop_joins_from_a_snapshot_and_pulls_only_what_came_after(
    pg: &postgres::Postgres,
) {
    let url = pg.database("snapshot_join").await;
    let base = hub(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(format!("{name}.truce"));
    let (a_path, b_path, c_path) = (path("alice"), path("bob"), path("carol"));
    // Alice (the admin) has a scan, its items and a person signed in on her laptop.
    let (workspace, a_device) = {
        let mut a = Workspace::open(&a_path).unwrap();
        ingest::import_file(&mut a, &report(), None).unwrap();
        planning::regroup(&mut a).unwrap();
        planning::people::add_person(&mut a, "Alice Admin", Some("alice@example.com"), None, None)
            .unwrap();
        truce_core::device::sign_in(&mut a, "alice@example.com").unwrap();
        sync::connect(&mut a, &base).unwrap();
        sync::identity(&a).unwrap()
    };
    let (b_device, c_device) = (device_of(&b_path), device_of(&c_path));
    let ta = token(&url, &workspace, &a_device, "admin").await;
    let tb = token(&url, &workspace, &b_device, "ops").await;
    let tc = token(&url, &workspace, &c_device, "security").await;
    tokio::task::spawn_blocking(move || {
        let mut a = Workspace::open(&a_path).unwrap();
        let given = snapshot::give(&mut a, &ta).unwrap();
        let held = on_hub(&base, &ta, &workspace);
        assert_eq!(given.seq, held.len() as i64, "it holds all the hub had");

        // Bob joins by replaying and renames an item after the snapshot was made.
        let mut b = Workspace::open(&b_path).unwrap();
        sync::join(&mut b, &base, &workspace).unwrap();
        sync::pull(&mut b, &tb).unwrap();
        let item: String = b
            .conn()
            .query_row("SELECT min(id) FROM work_items", [], |r| r.get(0))
            .unwrap();
        planning::states::edit(
            &mut b,
            &item,
            "title",
            "bob's, after the snapshot",
            "bob",
            "",
        )
        .unwrap();
        let after = sync::sync(&mut b, &tb).unwrap().pushed;
        assert!(after > 0);

        // Carol joins from the snapshot, then pulls only bob's change.
        let joined = snapshot::join(&c_path, &base, &workspace, &tc, OpenOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(joined.seq, given.seq);
        let mut c = Workspace::open(&c_path).unwrap();
        assert_eq!(
            sync::identity(&c).unwrap(),
            (workspace.clone(), c_device.clone()),
            "the workspace is the hub's, the device still carol's"
        );
        assert_eq!(
            truce_core::device::signed_in(c.conn()).unwrap(),
            None,
            "alice is not signed in on carol's laptop"
        );
        assert_eq!(
            sync::waiting(&c).unwrap(),
            0,
            "nothing of alice's waits to be pushed from here"
        );
        let pulled = sync::sync(&mut c, &tc).unwrap();
        let m = &pulled.merged;
        assert_eq!(
            m.applied + m.lost,
            after,
            "only what came after: {pulled:?}"
        );
        assert!((after as i64) < given.seq);
        sync::sync(&mut a, &ta).unwrap();
        let (pa, pc) = (plan(&a), plan(&c));
        assert!(
            pa == pc,
            "carol's plan differs: {}",
            first_difference(&pc, &pa)
        );
        let everything = on_hub(&base, &ta, &workspace);
        let missing: Vec<_> = everything.iter().filter(|op| !in_history(&c, op)).collect();
        assert!(missing.is_empty(), "not in carol's history: {missing:?}");

        // Her own change goes up as her device's and reaches alice.
        planning::states::edit(&mut c, &item, "title", "carol's", "carol", "").unwrap();
        assert!(sync::sync(&mut c, &tc).unwrap().pushed > 0);
        sync::sync(&mut a, &ta).unwrap();
        let title: String = a
            .conn()
            .query_row("SELECT title FROM work_items WHERE id = ?1", [&item], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(title, "carol's");
    })
    .await
    .unwrap();
}

async fn only_an_admin_gives_one_and_a_cut_or_broken_snapshot_changes_nothing(
    pg: &postgres::Postgres,
) {
    let url = pg.database("snapshot_refusals").await;
    let base = hub(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let (a_path, b_path, c_path) = (
        dir.path().join("admin.truce"),
        dir.path().join("ops.truce"),
        dir.path().join("new.truce"),
    );
    let (workspace, a_device) = {
        let mut a = Workspace::open(&a_path).unwrap();
        ingest::import_file(&mut a, &report(), None).unwrap();
        sync::connect(&mut a, &base).unwrap();
        sync::identity(&a).unwrap()
    };
    let (b_device, c_device) = (device_of(&b_path), device_of(&c_path));
    let ta = token(&url, &workspace, &a_device, "admin").await;
    let tb = token(&url, &workspace, &b_device, "ops").await;
    let tc = token(&url, &workspace, &c_device, "viewer").await;
    tokio::task::spawn_blocking(move || {
        let mut a = Workspace::open(&a_path).unwrap();
        sync::sync(&mut a, &ta).unwrap();
        let mut b = Workspace::open(&b_path).unwrap();
        sync::join(&mut b, &base, &workspace).unwrap();
        sync::pull(&mut b, &tb).unwrap();
        let refused = snapshot::give(&mut b, &tb).unwrap_err();
        assert!(
            refused.to_string().contains("403") && refused.to_string().contains("admin"),
            "{refused}"
        );
        assert!(
            !refused.to_string().contains(&tb),
            "no token in errors: {refused}"
        );
        drop(b);
        let none = snapshot::join(&c_path, &base, &workspace, &tc, OpenOptions::default()).unwrap();
        assert_eq!(none, Err(Unused::None), "the refused one was not kept");

        let kept = snapshot::give(&mut a, &ta).unwrap();
        let put = |seq: i64, body: Vec<u8>| {
            reqwest::blocking::Client::new()
                .put(format!(
                    "{base}/v1/workspaces/{workspace}/snapshot?seq={seq}&format={}",
                    kept.format
                ))
                .bearer_auth(&ta)
                .body(body)
                .send()
                .unwrap()
        };
        let beyond = put(kept.seq + 1, b"anything".to_vec());
        assert_eq!(beyond.status(), 400);
        assert!(beyond
            .text()
            .unwrap()
            .contains(&format!("up to {}", kept.seq)));

        // An upload cut halfway stores nothing: the snapshot before it stays the latest.
        let addr = base.trim_start_matches("http://");
        let mut cut = std::net::TcpStream::connect(addr).unwrap();
        write!(
            cut,
            "PUT /v1/workspaces/{workspace}/snapshot?seq={}&format={} HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {ta}\r\nContent-Length: 20000000\r\n\r\n",
            kept.seq, kept.format
        )
        .unwrap();
        cut.write_all(&vec![7u8; 9_000_000]).unwrap();
        drop(cut);
        let mut fresh = Vec::new();
        let latest = truce_net::hub::get_snapshot(&base, &tc, &workspace, &mut fresh)
            .unwrap()
            .unwrap();
        assert_eq!((latest.seq, latest.format), (kept.seq, kept.format));
        assert!(
            latest.bytes < 9_000_000 && fresh.iter().any(|&b| b != 7),
            "the cut upload's bytes were kept"
        );

        // One announced past what the hub keeps is refused before a byte of it is read.
        let mut huge = std::net::TcpStream::connect(addr).unwrap();
        write!(
            huge,
            "PUT /v1/workspaces/{workspace}/snapshot?seq={}&format={} HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Bearer {ta}\r\nContent-Length: 5000000000\r\n\r\n",
            kept.seq, kept.format
        )
        .unwrap();
        let mut answer = [0u8; 12];
        std::io::Read::read_exact(&mut huge, &mut answer).unwrap();
        assert_eq!(&answer, b"HTTP/1.1 413");

        // Garbage from the hub: a clear error, and the new laptop's workspace as it was.
        assert_eq!(
            put(kept.seq, b"not a packed workspace".to_vec()).status(),
            200
        );
        let before = std::fs::read(&c_path).unwrap();
        let broken =
            snapshot::join(&c_path, &base, &workspace, &tc, OpenOptions::default()).unwrap_err();
        assert!(broken.to_string().contains("does not unpack"), "{broken}");
        assert_eq!(std::fs::read(&c_path).unwrap(), before);
        let leftovers: Vec<_> = std::fs::read_dir(c_path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // A packed file that is not a workspace at all is refused the same way.
        let mut packed = Vec::new();
        zstd::stream::copy_encode(&b"SQLite? no."[..], &mut packed, 3).unwrap();
        assert_eq!(put(kept.seq, packed).status(), 200);
        let foreign =
            snapshot::join(&c_path, &base, &workspace, &tc, OpenOptions::default()).unwrap_err();
        assert!(foreign.to_string().contains("not a workspace"), "{foreign}");
        assert_eq!(std::fs::read(&c_path).unwrap(), before);
        // And the laptop can still join by replaying.
        let mut c = Workspace::open(&c_path).unwrap();
        sync::join(&mut c, &base, &workspace).unwrap();
        sync::pull(&mut c, &tc).unwrap();
        assert!(
            plan(&c) == plan(&a),
            "{}",
            first_difference(&plan(&c), &plan(&a))
        );
    })
    .await
    .unwrap();
}
