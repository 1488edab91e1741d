//! The hub against a real PostgreSQL (a throwaway server, `postgres.rs`), through its HTTP API on
//! loopback: pushes are idempotent, pulls follow a cursor in arrival order, bad batches store
//! nothing, two hub processes on one database number operations without gaps or repeats.

mod postgres;

use serde_json::{json, Value};
use truce_hub::{Op, Pulled, Pushed};

/// A hub on `url`'s database, served on a free loopback port: its base URL.
async fn hub(url: &str) -> String {
    hub_with(url, truce_hub::limits::Limits::default()).await
}

/// [`hub`], each device token limited to `limits`.
async fn hub_with(url: &str, limits: truce_hub::limits::Limits) -> String {
    let pool = truce_hub::pool(url).unwrap();
    truce_hub::schema::migrate(&pool).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = truce_hub::router_with(pool, limits);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A token for `device` of `ws` on `url`'s hub (started, so migrated), as its admin issues one.
async fn token(url: &str, ws: &str, device: &str, role: &str) -> String {
    let pool = truce_hub::pool(url).unwrap();
    truce_hub::devices::issue(&pool, ws, device, "Dana Ops", role)
        .await
        .unwrap()
}

/// Tokens for the devices `op` names in the tests, issued on `url`'s hub for `ws`.
async fn tokens(
    url: &str,
    ws: &str,
    devices: &[&str],
) -> std::collections::HashMap<String, String> {
    let mut all = std::collections::HashMap::new();
    for d in devices {
        all.insert(d.to_string(), token(url, ws, d, "ops").await);
    }
    all
}

fn op(device: &str, hlc: i64, field: &str, new: Value) -> Op {
    Op {
        device: device.into(),
        hlc,
        actor: "person-dana".into(),
        entity: "work_item".into(),
        entity_id: "item-1".into(),
        field: field.into(),
        old_value: Value::Null,
        new_value: new,
        at: "2026-12-05T08:00:00.000Z".into(),
        reason: Some("CAB 5 Dec".into()),
    }
}

async fn push(base: &str, token: &str, ws: &str, ops: &[Op]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/v1/workspaces/{ws}/ops"))
        .bearer_auth(token)
        .json(&json!({ "ops": ops }))
        .send()
        .await
        .unwrap()
}

/// Sends the headers of a 20 MB push and a first kilobyte, then reads the status the hub answers.
async fn announce_huge_body(base: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/workspaces/ws-1/ops HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        20 << 20
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let _ = s.write_all(&[b' '; 1024]).await;
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut answer))
        .await
        .expect("the hub answers without waiting for the whole body")
        .unwrap();
    let line = String::from_utf8_lossy(&answer[..n]);
    line.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

async fn pull(base: &str, token: &str, ws: &str, after: i64, limit: i64) -> Pulled {
    let r = reqwest::Client::new()
        .get(format!(
            "{base}/v1/workspaces/{ws}/ops?after={after}&limit={limit}"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_on_a_real_postgres() {
    let pg = postgres::Postgres::start();
    a_batch_pushed_twice_is_stored_once_and_pulled_as_it_was_made(&pg).await;
    a_pull_follows_its_cursor_and_sees_only_its_workspace(&pg).await;
    a_bad_batch_is_refused_naming_the_problem_and_nothing_is_stored(&pg).await;
    two_hubs_on_one_database_number_every_operation_once_in_order(&pg).await;
    a_laptop_pushes_what_it_recorded_once_even_when_an_acknowledgement_is_lost(&pg).await;
    only_a_device_let_in_may_push_and_only_as_its_role_allows(&pg).await;
    a_device_that_asks_too_often_is_told_to_wait_and_the_others_are_served(&pg).await;
    two_laptops_share_one_plan_through_the_hub_and_settle_a_conflict(&pg).await;
    a_decision_needs_its_role_and_is_never_the_askers_own(&pg).await;
}

async fn a_batch_pushed_twice_is_stored_once_and_pulled_as_it_was_made(pg: &postgres::Postgres) {
    let url = pg.database("twice").await;
    let base = hub(&url).await;
    let t = token(&url, "ws-1", "laptop-a", "ops").await;
    let ops = vec![
        op("laptop-a", 100 << 16, "state", json!("scheduled")),
        op("laptop-a", (100 << 16) + 1, "max_items", json!(4)),
        op("laptop-a", 90 << 16, "tags", json!(["db", "ha"])),
    ];
    let first: Pushed = push(&base, &t, "ws-1", &ops).await.json().await.unwrap();
    assert_eq!((first.accepted, first.duplicates), (3, 0));
    // A retry after a cut connection, or the same batch delivered twice.
    let again: Pushed = push(&base, &t, "ws-1", &ops).await.json().await.unwrap();
    assert_eq!((again.accepted, again.duplicates), (0, 3));
    let pulled = pull(&base, &t, "ws-1", 0, 100).await;
    let got: Vec<Op> = pulled.ops.iter().map(|s| s.op.clone()).collect();
    assert_eq!(got, ops, "stored as made, in the order pushed");
    assert!(pulled.ops.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(pulled.next, pulled.ops.last().unwrap().seq);
}

async fn a_pull_follows_its_cursor_and_sees_only_its_workspace(pg: &postgres::Postgres) {
    let url = pg.database("cursor").await;
    let base = hub(&url).await;
    let (t, other) = (
        token(&url, "ws-1", "laptop-a", "ops").await,
        token(&url, "ws-2", "laptop-c", "ops").await,
    );
    let ops: Vec<Op> = (1..=5)
        .map(|i| op("laptop-a", i << 16, "state", json!(format!("s{i}"))))
        .collect();
    assert_eq!(push(&base, &t, "ws-1", &ops).await.status(), 200);
    assert_eq!(
        push(
            &base,
            &other,
            "ws-2",
            &[op("laptop-c", 7 << 16, "state", json!("other"))]
        )
        .await
        .status(),
        200
    );
    let first = pull(&base, &t, "ws-1", 0, 2).await;
    assert_eq!(first.ops.len(), 2);
    let rest = pull(&base, &t, "ws-1", first.next, 100).await;
    let values: Vec<Value> = first
        .ops
        .iter()
        .chain(&rest.ops)
        .map(|s| s.op.new_value.clone())
        .collect();
    assert_eq!(values, ["s1", "s2", "s3", "s4", "s5"].map(|s| json!(s)));
    let nothing = pull(&base, &t, "ws-1", rest.next, 100).await;
    assert!(nothing.ops.is_empty());
    assert_eq!(nothing.next, rest.next, "an empty pull keeps the cursor");
    assert_eq!(pull(&base, &other, "ws-2", 0, 100).await.ops.len(), 1);
}

async fn a_bad_batch_is_refused_naming_the_problem_and_nothing_is_stored(pg: &postgres::Postgres) {
    let url = pg.database("refused").await;
    let base = hub(&url).await;
    let t = token(&url, "ws-1", "laptop-a", "ops").await;
    let good = op("laptop-a", 1 << 16, "state", json!("scheduled"));
    let mut empty_entity = op("laptop-a", 2 << 16, "state", json!("approved"));
    empty_entity.entity = " ".into();
    let r = push(&base, &t, "ws-1", &[good.clone(), empty_entity]).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
    assert_eq!(body["message"], "ops[1].entity: empty");
    let mut huge_id = good.clone();
    huge_id.entity_id = "x".repeat(5_000);
    let body: Value = push(&base, &t, "ws-1", &[huge_id])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["message"],
        "ops[0].entity_id: 5000 bytes, more than the 1024 allowed"
    );
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/v1/workspaces/ws-1/ops"))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{\"ops\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A body announced as 20 MB, past the limit: refused from its headers, before it is read
    // (a raw request, so the client is not still writing when the hub answers).
    assert_eq!(announce_huge_body(&base).await, 413);
    let r = client
        .post(format!("{base}/v1/workspaces/not%20an%20id/ops"))
        .json(&json!({ "ops": [good] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        pull(&base, &t, "ws-1", 0, 100).await.ops.is_empty(),
        "nothing stored"
    );
}

async fn two_hubs_on_one_database_number_every_operation_once_in_order(pg: &postgres::Postgres) {
    let url = pg.database("two_hubs").await;
    let (one, two) = (hub(&url).await, hub(&url).await);
    let names: Vec<String> = (0..8).map(|d| format!("laptop-{d}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let tokens = tokens(&url, "ws-1", &names).await;
    // 8 devices push 4 batches of 500 each, alternating hubs, all at once; every batch twice.
    const DEVICES: i64 = 8;
    const BATCHES: i64 = 4;
    const SIZE: i64 = 500;
    const TOTAL: usize = (DEVICES * BATCHES * SIZE) as usize;
    let mut pushes = Vec::new();
    for device in 0..DEVICES {
        let bases = [one.clone(), two.clone()];
        let t = tokens[&format!("laptop-{device}")].clone();
        pushes.push(tokio::spawn(async move {
            for batch in 0..BATCHES {
                let ops: Vec<Op> = (0..SIZE)
                    .map(|i| {
                        let hlc = ((batch * SIZE + i + 1) << 16) + device;
                        op(&format!("laptop-{device}"), hlc, "state", json!(hlc))
                    })
                    .collect();
                let first = &bases[((device + batch) % 2) as usize];
                assert_eq!(push(first, &t, "ws-1", &ops).await.status(), 200);
                let second = &bases[((device + batch + 1) % 2) as usize];
                assert_eq!(push(second, &t, "ws-1", &ops).await.status(), 200);
            }
        }));
    }
    // A laptop pulling meanwhile, as a syncing laptop would, as fast as it can: its cursor must
    // never pass an operation that commits later with a lower number (numbers are handed out
    // before commit; without the hub's per-workspace lock, a later batch can commit first).
    let follower = {
        let base = two.clone();
        let t = tokens["laptop-0"].clone();
        tokio::spawn(async move {
            let (mut cursor, mut seen) = (0i64, Vec::new());
            let started = std::time::Instant::now();
            while seen.len() < TOTAL && started.elapsed() < std::time::Duration::from_secs(60) {
                let p = pull(&base, &t, "ws-1", cursor, 10_000).await;
                seen.extend(p.ops.iter().map(|s| (s.op.device.clone(), s.op.hlc)));
                cursor = p.next;
            }
            seen
        })
    };
    for p in pushes {
        p.await.unwrap();
    }
    let t = &tokens["laptop-1"];
    let all = pull(&one, t, "ws-1", 0, 10_000).await;
    let rest = pull(&one, t, "ws-1", all.next, 10_000).await;
    let all: Vec<_> = all.ops.into_iter().chain(rest.ops).collect();
    assert_eq!(all.len(), TOTAL);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let mut ids: Vec<(String, i64)> = all
        .iter()
        .map(|s| (s.op.device.clone(), s.op.hlc))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), TOTAL, "each operation once");
    let mut followed = follower.await.unwrap();
    assert_eq!(followed.len(), TOTAL, "the follower missed operations");
    followed.sort();
    assert_eq!(followed, ids);
}

/// A real workspace (a report imported, a team added) pushes its change log's records to the hub:
/// all of them, in the order made; a second push sends nothing; after a lost acknowledgement the
/// records go again and the hub keeps one of each.
async fn a_laptop_pushes_what_it_recorded_once_even_when_an_acknowledgement_is_lost(
    pg: &postgres::Postgres,
) {
    let url = pg.database("laptop").await;
    let base = hub(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Handle::current();
    let laptop = tokio::task::spawn_blocking(move || {
        use truce_core::{ingest, planning::people, sync, Workspace};
        let mut ws = Workspace::open(dir.path().join("w.truce")).unwrap();
        let report = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/corpus/scans/tenable/nessus/nessus_many_vuln.xml"
        );
        ingest::import_file(&mut ws, std::path::Path::new(report), None).unwrap();
        sync::connect(&mut ws, &base).unwrap();
        let (workspace, device) = sync::identity(&ws).unwrap();
        // The hub's admin lets this laptop in.
        let t = runtime.block_on(token(&url, &workspace, &device, "ops"));
        let made = sync::waiting(&ws).unwrap();
        let findings: u64 = ws
            .conn()
            .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
            .unwrap();
        assert!(
            findings > 0 && made > findings,
            "every finding and more: {made}"
        );
        let first = sync::push(&mut ws, &t).unwrap();
        assert_eq!((first.sent, first.duplicates), (made, 0));
        assert_eq!(sync::waiting(&ws).unwrap(), 0);
        assert_eq!(
            sync::push(&mut ws, &t).unwrap().sent,
            0,
            "nothing left to send"
        );
        people::add_team(&mut ws, "DB Ops", "ops").unwrap();
        let team = sync::push(&mut ws, &t).unwrap();
        assert_eq!((team.sent, team.duplicates), (1, 0), "only the new team");
        // The hub stored a batch but its answer never arrived: the mark did not move.
        ws.conn()
            .execute("UPDATE hub SET pushed_seq = 0", [])
            .unwrap();
        let again = sync::push(&mut ws, &t).unwrap();
        assert_eq!((again.sent, again.duplicates), (made + 1, made + 1));
        let recorded: Vec<(String, String, String)> = ws
            .conn()
            .prepare("SELECT entity, entity_id, field FROM change_log WHERE note = 0 ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        (base, workspace, t, recorded)
    })
    .await
    .unwrap();
    let (base, workspace, t, recorded) = laptop;
    let mut on_hub = Vec::new();
    let mut after = 0;
    loop {
        let p = pull(&base, &t, &workspace, after, 10_000).await;
        if p.ops.is_empty() {
            break;
        }
        after = p.next;
        on_hub.extend(
            p.ops
                .into_iter()
                .map(|s| (s.op.entity, s.op.entity_id, s.op.field)),
        );
    }
    assert_eq!(
        on_hub, recorded,
        "the hub holds the laptop's records, once each, in order"
    );
}

/// Every request names its device by a token the hub's admin issued: without one, with a revoked
/// one, with a viewer's, in another device's name or for another workspace, a push is refused
/// with a status that says why, and nothing is stored.
async fn only_a_device_let_in_may_push_and_only_as_its_role_allows(pg: &postgres::Postgres) {
    let url = pg.database("tokens").await;
    let base = hub(&url).await;
    let ops_token = token(&url, "ws-1", "laptop-a", "ops").await;
    let viewer = token(&url, "ws-1", "laptop-v", "viewer").await;
    let elsewhere = token(&url, "ws-2", "laptop-e", "security").await;
    let mine = [op("laptop-a", 1 << 16, "state", json!("scheduled"))];
    let refused = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        (
            status,
            body["code"].as_str().unwrap_or("").to_string(),
            body["message"].as_str().unwrap_or("").to_string(),
        )
    };
    let no_token = reqwest::Client::new()
        .post(format!("{base}/v1/workspaces/ws-1/ops"))
        .json(&json!({ "ops": mine }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused(no_token).await.0, 401);
    let (status, code, _) = refused(push(&base, "not-a-token", "ws-1", &mine).await).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    let (status, _, message) = refused(
        push(
            &base,
            &viewer,
            "ws-1",
            &[op("laptop-v", 1 << 16, "state", json!("x"))],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        message.contains("a viewer reads the plan and cannot change it"),
        "{message}"
    );
    let (status, _, message) = refused(
        push(
            &base,
            &ops_token,
            "ws-1",
            &[op("laptop-b", 1 << 16, "state", json!("x"))],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        message,
        "ops[0].device: 'laptop-b' is not this token's device ('laptop-a')"
    );
    let (status, _, message) = refused(push(&base, &elsewhere, "ws-1", &mine).await).await;
    assert_eq!(status, 403);
    assert!(message.contains("another workspace"), "{message}");
    // A viewer still reads; nothing of the refused pushes was stored.
    assert!(pull(&base, &viewer, "ws-1", 0, 100).await.ops.is_empty());
    assert_eq!(push(&base, &ops_token, "ws-1", &mine).await.status(), 200);
    // Revoked: refused at once, the next push too.
    let pool = truce_hub::pool(&url).unwrap();
    assert!(truce_hub::devices::revoke(&pool, "laptop-a").await.unwrap());
    let later = [op("laptop-a", 2 << 16, "state", json!("approved"))];
    let (status, _, message) = refused(push(&base, &ops_token, "ws-1", &later).await).await;
    assert_eq!(status, 401);
    assert!(message.contains("revoked"), "{message}");
    assert_eq!(pull(&base, &viewer, "ws-1", 0, 100).await.ops.len(), 1);
}

/// One device hammering the hub (here 300 requests at once against 50 a second, a burst of 20) is
/// answered 429 for what is past its bucket; another device is served meanwhile; what was refused
/// stored nothing.
async fn a_device_that_asks_too_often_is_told_to_wait_and_the_others_are_served(
    pg: &postgres::Postgres,
) {
    let url = pg.database("limits").await;
    let limits = truce_hub::limits::Limits {
        per_second: 50.0,
        burst: 20.0,
    };
    let base = hub_with(&url, limits).await;
    let noisy = token(&url, "ws-1", "laptop-n", "ops").await;
    let quiet = token(&url, "ws-1", "laptop-q", "ops").await;
    let mut asks = Vec::new();
    for i in 0..300i64 {
        let (base, noisy) = (base.clone(), noisy.clone());
        asks.push(tokio::spawn(async move {
            let op = op("laptop-n", (i + 1) << 16, "state", json!(i));
            let r = push(&base, &noisy, "ws-1", &[op]).await;
            let status = r.status().as_u16();
            let wait = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            let body: Value = r.json().await.unwrap();
            (status, body, wait)
        }));
    }
    // Meanwhile the other device is served.
    assert_eq!(
        push(
            &base,
            &quiet,
            "ws-1",
            &[op("laptop-q", 1 << 16, "state", json!("q"))]
        )
        .await
        .status(),
        200
    );
    let (mut ok, mut throttled) = (0, 0);
    for a in asks {
        let (status, body, wait) = a.await.unwrap();
        match status {
            200 => ok += 1,
            429 => {
                throttled += 1;
                assert_eq!(body["code"], "too_many_requests");
                // Whole seconds to wait, for clients and proxies that read the header.
                let wait: u64 = wait.expect("Retry-After").parse().unwrap();
                assert!(wait >= 1, "{wait}");
                assert!(
                    body["message"].as_str().unwrap().contains("try again in"),
                    "{body}"
                );
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(
        throttled > 0 && ok >= 20,
        "{ok} served, {throttled} throttled"
    );
    let stored = pull(&base, &quiet, "ws-1", 0, 10_000).await.ops;
    let from_noisy = stored.iter().filter(|s| s.op.device == "laptop-n").count();
    assert_eq!(
        from_noisy, ok,
        "only the pushes that were served stored anything"
    );
}

/// Two laptops, one hub: the second joins from the first's workspace, both rename one item
/// offline, both sync; they agree, each sees the conflict, one decision settles it everywhere.
/// The merge rules themselves are tested in-process (`crates/truce-core/tests/sync.rs`).
async fn two_laptops_share_one_plan_through_the_hub_and_settle_a_conflict(pg: &postgres::Postgres) {
    use truce_core::{ingest, planning, sync, Workspace};
    let url = pg.database("two_laptops").await;
    let base = hub(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let report = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/scans/tenable/nessus/nessus_v_unknown.xml"
    ));
    let (a_path, b_path) = (dir.path().join("alice.truce"), dir.path().join("bob.truce"));
    // Alice's laptop: a scan, its work items, connected and let in.
    let (workspace, a_device) = {
        let (a_path, base) = (a_path.clone(), base.clone());
        tokio::task::spawn_blocking(move || {
            let mut a = Workspace::open(&a_path).unwrap();
            ingest::import_file(&mut a, &report, None).unwrap();
            planning::regroup(&mut a).unwrap();
            sync::connect(&mut a, &base).unwrap();
            sync::identity(&a).unwrap()
        })
        .await
        .unwrap()
    };
    let b_device = tokio::task::spawn_blocking({
        let b_path = b_path.clone();
        move || {
            let b = Workspace::open(&b_path).unwrap();
            sync::identity(&b).unwrap().1
        }
    })
    .await
    .unwrap();
    let ta = token(&url, &workspace, &a_device, "ops").await;
    let tb = token(&url, &workspace, &b_device, "security").await;
    tokio::task::spawn_blocking(move || {
        let title = |ws: &Workspace, item: &str| -> String {
            ws.conn()
                .query_row("SELECT title FROM work_items WHERE id = ?1", [item], |r| {
                    r.get(0)
                })
                .unwrap()
        };
        let titles = |ws: &Workspace| -> Vec<(String, String)> {
            ws.conn()
                .prepare("SELECT id, title FROM work_items ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let mut a = Workspace::open(&a_path).unwrap();
        let first = sync::sync(&mut a, &ta).unwrap();
        assert!(first.pushed > 0 && first.merged.applied == 0, "{first:?}");
        let mut b = Workspace::open(&b_path).unwrap();
        sync::join(&mut b, &base, &workspace).unwrap();
        let joined = sync::pull(&mut b, &tb).unwrap();
        assert_eq!(joined.merged.applied, first.pushed, "{joined:?}");
        assert_eq!(titles(&a), titles(&b), "bob has alice's plan");
        let item = titles(&a)[0].0.clone();
        planning::states::edit(&mut a, &item, "title", "alice's name for it", "alice", "").unwrap();
        planning::states::edit(&mut b, &item, "title", "bob's name for it", "bob", "").unwrap();
        sync::sync(&mut a, &ta).unwrap();
        let on_b = sync::sync(&mut b, &tb).unwrap();
        assert_eq!(on_b.merged.conflicts, 1, "{on_b:?}");
        let on_a = sync::sync(&mut a, &ta).unwrap();
        assert_eq!(on_a.merged.conflicts, 1, "{on_a:?}");
        assert_eq!(title(&a, &item), title(&b, &item), "one value on both");
        let open = sync::conflicts(&b, None).unwrap();
        assert_eq!(open.len(), 1);
        sync::resolve(&mut b, open[0].id, sync::Side::Other).unwrap();
        sync::sync(&mut b, &tb).unwrap();
        sync::sync(&mut a, &ta).unwrap();
        assert!(sync::conflicts(&a, None).unwrap().is_empty());
        assert_eq!(title(&a, &item), title(&b, &item));
        assert_eq!(titles(&a), titles(&b));
        // A wrong token reads nothing and changes nothing.
        let before = sync::waiting(&b).unwrap();
        let refused = sync::pull(&mut b, "not-a-token").unwrap_err();
        assert_eq!(refused.code(), "hub", "{refused}");
        assert!(!refused.to_string().contains("not-a-token"), "{refused}");
        assert_eq!(sync::waiting(&b).unwrap(), before);
    })
    .await
    .unwrap();
}

/// The hub checks decisions itself, whatever the laptop allowed: approving a change needs the CAB
/// (or admin) role, deciding a risk exception security, CAB or admin, and nobody decides what they
/// asked for, found in what the hub stored or earlier in the same batch. A refused batch stores
/// nothing.
async fn a_decision_needs_its_role_and_is_never_the_askers_own(pg: &postgres::Postgres) {
    let url = pg.database("decisions").await;
    let base = hub(&url).await;
    let ops_token = token(&url, "ws-d", "laptop-o", "ops").await;
    let cab = token(&url, "ws-d", "laptop-c", "cab").await;
    let security = token(&url, "ws-d", "laptop-s", "security").await;
    let viewer = token(&url, "ws-d", "laptop-v", "viewer").await;
    let by = |device: &str, hlc: i64, actor: &str, entity: &str, field: &str, new: Value| Op {
        actor: actor.into(),
        entity: entity.into(),
        entity_id: format!("{entity}-1"),
        ..op(device, hlc, field, new)
    };
    let answer = |r: reqwest::Response| async move {
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        (status, body["message"].as_str().unwrap_or("").to_string())
    };
    let scheduled = by(
        "laptop-o",
        1 << 16,
        "person-olga",
        "work_item",
        "state",
        json!("scheduled"),
    );
    assert_eq!(
        push(&base, &ops_token, "ws-d", &[scheduled]).await.status(),
        200
    );
    // Ops may not approve, even someone else's change.
    let approve = |device: &str, hlc: i64, actor: &str| {
        by(device, hlc, actor, "work_item", "state", json!("approved"))
    };
    let (status, message) = answer(
        push(
            &base,
            &ops_token,
            "ws-d",
            &[approve("laptop-o", 2 << 16, "person-carl")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        message.contains("ops role may not approve a change"),
        "{message}"
    );
    // The CAB may, but not the person who scheduled it.
    let (status, message) = answer(
        push(
            &base,
            &cab,
            "ws-d",
            &[approve("laptop-c", 1 << 16, "person-olga")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        message.contains("'person-olga' asked for this"),
        "{message}"
    );
    assert_eq!(
        push(
            &base,
            &cab,
            "ws-d",
            &[approve("laptop-c", 2 << 16, "person-carl")]
        )
        .await
        .status(),
        200
    );

    // An exception asked for and approved by one person in one batch: refused whole.
    let asked = by(
        "laptop-s",
        1 << 16,
        "person-sam",
        "exception",
        "created",
        json!("[]"),
    );
    let decided = |hlc: i64, actor: &str| {
        by(
            "laptop-s",
            hlc,
            actor,
            "exception",
            "state",
            json!("approved"),
        )
    };
    let (status, message) = answer(
        push(
            &base,
            &security,
            "ws-d",
            &[asked.clone(), decided(2 << 16, "person-sam")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        message.contains("ops[1]: 'person-sam' asked for this"),
        "{message}"
    );
    assert_eq!(push(&base, &security, "ws-d", &[asked]).await.status(), 200);
    let (status, _) =
        answer(push(&base, &security, "ws-d", &[decided(3 << 16, "person-sam")]).await).await;
    assert_eq!(status, 403, "found in what the hub stored");
    let (status, _) = answer(
        push(
            &base,
            &ops_token,
            "ws-d",
            &[by(
                "laptop-o",
                3 << 16,
                "person-olga",
                "exception",
                "state",
                json!("rejected"),
            )],
        )
        .await,
    )
    .await;
    assert_eq!(status, 403, "ops may not decide an exception");
    assert_eq!(
        push(&base, &security, "ws-d", &[decided(4 << 16, "person-tess")])
            .await
            .status(),
        200
    );

    let stored: Vec<(String, String, Value)> = pull(&base, &viewer, "ws-d", 0, 100)
        .await
        .ops
        .into_iter()
        .map(|s| (s.op.actor, s.op.field, s.op.new_value))
        .collect();
    assert_eq!(
        stored,
        vec![
            (
                "person-olga".to_string(),
                "state".to_string(),
                json!("scheduled")
            ),
            (
                "person-carl".to_string(),
                "state".to_string(),
                json!("approved")
            ),
            ("person-sam".to_string(), "created".to_string(), json!("[]")),
            (
                "person-tess".to_string(),
                "state".to_string(),
                json!("approved")
            ),
        ],
        "only what was allowed"
    );
}
