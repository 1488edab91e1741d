//! Syncing from Tenable Vulnerability Management against a replay server on 127.0.0.1 that
//! answers as Tenable documents its export (POST /vulns/export, the status with chunks ready out
//! of order, the chunks, 401 on wrong keys, 429, 404 for an export it no longer knows). The
//! chunks it hands out are tests/corpus/scans/tenable/vm-export's; what lands is what importing
//! those files lands (tests/format_tenable_vm.rs). The requests Truce sends are checked too.

mod common;
#[path = "common/replay.rs"]
mod replay;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use truce_core::clock::SetClock;
use truce_core::sources::{self, Keys, Patience, Step};
use truce_core::workspace::OpenOptions;
use truce_core::Workspace;

const ACCESS: &str = "a1b2c3d4e5f6access";
const SECRET: &str = "s3cr3t-9f8e7d6c5b4a-never-stored";

/// An export's chunks: (id, bytes).
type Chunks = Vec<(u32, Vec<u8>)>;

/// What the replay server was asked and what it will answer.
#[derive(Default)]
struct Replay {
    /// The chunks of the exports to come, one list per POST, in the order they are asked for.
    planned: VecDeque<Chunks>,
    /// Each export's status requests so far, and its chunks.
    exports: HashMap<String, (u32, Chunks)>,
    /// Every request: method, path, the X-ApiKeys header and the body.
    seen: Vec<(String, String, Option<String>, Value)>,
    /// Chunk GETs answered 429 before the chunk is given.
    throttle: u32,
    /// Chunk ids answered 500 (until cleared).
    broken: Vec<u32>,
    /// Status requests answered 404 (the export expired).
    forget: u32,
    /// Exports refused 403 (the keys' user may not export).
    forbidden: bool,
    /// Status requests answered with something that is not Tenable's JSON.
    garbled: u32,
    /// Chunks answered with 2 MiB of something, more than the sync reads.
    endless: bool,
    /// How long a chunk's answer waits before it starts.
    stall: Duration,
}

type Shared = Arc<Mutex<Replay>>;

fn keys_ok(h: &HeaderMap) -> Option<String> {
    h.get("x-apikeys")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({"statusCode": 401, "error": "Unauthorized", "message": "Invalid Credentials"})),
    )
        .into_response()
}

/// Notes a request; answers 401 when it does not carry the keys, as Tenable does.
fn heard(
    r: &mut Replay,
    method: &str,
    path: String,
    h: &HeaderMap,
    body: Value,
) -> Option<Response> {
    r.seen.push((method.into(), path, keys_ok(h), body));
    (keys_ok(h) != Some(expected_keys())).then(unauthorized)
}

fn expected_keys() -> String {
    format!("accessKey={ACCESS};secretKey={SECRET}")
}

async fn start(State(r): State<Shared>, h: HeaderMap, body: Json<Value>) -> Response {
    let mut r = r.lock().unwrap();
    if let Some(refused) = heard(&mut r, "POST", "/vulns/export".into(), &h, body.0.clone()) {
        return refused;
    }
    if r.forbidden {
        return (StatusCode::FORBIDDEN, Json(json!({"statusCode": 403, "error": "Forbidden", "message": "You do not have permission to view this resource"}))).into_response();
    }
    let uuid = format!("5e3a0000-0000-4000-8000-{:012}", r.exports.len() + 1);
    let chunks = r.planned.pop_front().unwrap_or_default();
    r.exports.insert(uuid.clone(), (0, chunks));
    Json(json!({ "export_uuid": uuid })).into_response()
}

async fn status(State(r): State<Shared>, h: HeaderMap, Path(uuid): Path<String>) -> Response {
    let mut r = r.lock().unwrap();
    let path = format!("/vulns/export/{uuid}/status");
    if let Some(refused) = heard(&mut r, "GET", path, &h, Value::Null) {
        return refused;
    }
    if r.garbled > 0 {
        r.garbled -= 1;
        return (
            [("content-type", "application/json")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response();
    }
    if r.forget > 0 {
        r.forget -= 1;
        r.exports.remove(&uuid);
    }
    let Some((polls, chunks)) = r.exports.get_mut(&uuid) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"statusCode": 404, "error": "Not Found", "message": "Export not found"})),
        )
            .into_response();
    };
    *polls += 1;
    // Queued first, then the last chunk alone (they finish out of order), then all of them.
    let ids: Vec<u32> = chunks.iter().map(|(id, _)| *id).collect();
    let (state, ready): (&str, Vec<u32>) = match *polls {
        1 => ("QUEUED", vec![]),
        2 => ("PROCESSING", ids.last().copied().into_iter().collect()),
        _ => ("FINISHED", ids.iter().rev().copied().collect()),
    };
    Json(json!({
        "uuid": uuid, "status": state, "chunks_available": ready, "chunks_failed": [],
        "chunks_cancelled": [], "total_chunks": ids.len(), "finished_chunks": ready.len(),
        "num_assets_per_chunk": 1000, "created": 1764547200000i64
    }))
    .into_response()
}

async fn chunk(
    State(shared): State<Shared>,
    h: HeaderMap,
    Path((uuid, id)): Path<(String, u32)>,
) -> Response {
    let stall = shared.lock().unwrap().stall;
    tokio::time::sleep(stall).await;
    let mut r = shared.lock().unwrap();
    let path = format!("/vulns/export/{uuid}/chunks/{id}");
    if let Some(refused) = heard(&mut r, "GET", path, &h, Value::Null) {
        return refused;
    }
    if r.throttle > 0 {
        r.throttle -= 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "<html>429 Too Many Requests</html>",
        )
            .into_response();
    }
    if r.endless {
        return (
            [("content-type", "application/octet-stream")],
            vec![b'['; 2 << 20],
        )
            .into_response();
    }
    if r.broken.contains(&id) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"statusCode": 500, "error": "Internal Server Error"})),
        )
            .into_response();
    }
    match r
        .exports
        .get(&uuid)
        .and_then(|(_, c)| c.iter().find(|(i, _)| *i == id))
    {
        Some((_, bytes)) => (
            [("content-type", "application/octet-stream")],
            bytes.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn jobs(State(r): State<Shared>, h: HeaderMap) -> Response {
    let mut r = r.lock().unwrap();
    if let Some(refused) = heard(
        &mut r,
        "GET",
        "/vulns/export/status".into(),
        &h,
        Value::Null,
    ) {
        return refused;
    }
    Json(json!({"exports": []})).into_response()
}

/// The replay server on a free loopback port: its address and state.
fn replay() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/vulns/export", post(start))
        .route("/vulns/export/status", get(jobs))
        .route("/vulns/export/{uuid}/status", get(status))
        .route("/vulns/export/{uuid}/chunks/{id}", get(chunk))
        .with_state(shared.clone());
    let base = replay::serve(app);
    (base, shared)
}

/// The vulnerabilities of a corpus chunk file, split into chunks of the sizes given.
fn chunks_of(n: u32, sizes: &[usize]) -> Chunks {
    let text = std::fs::read(common::corpus(&format!("tenable/vm-export/chunk-{n}.json"))).unwrap();
    let all: Vec<Value> = serde_json::from_slice(&text).unwrap();
    let mut out = Vec::new();
    let mut at = 0;
    for (i, size) in sizes.iter().enumerate() {
        out.push((
            (i + 1) as u32,
            serde_json::to_vec(&all[at..at + size]).unwrap(),
        ));
        at += size;
    }
    assert_eq!(
        at,
        all.len(),
        "every vulnerability of chunk-{n}.json in a chunk"
    );
    out
}

fn keys() -> Keys {
    Keys {
        access_key: ACCESS.into(),
        secret_key: SECRET.into(),
    }
}

fn status_of(ws: &Workspace, host: &str, plugin: &str) -> String {
    ws.conn()
        .query_row(
            "SELECT f.status FROM findings f
             JOIN vulnerabilities v ON v.id = f.vulnerability_id
             JOIN asset_identifiers i ON i.asset_id = f.asset_id AND i.kind = 'hostname'
             WHERE i.value = ?1 AND v.scanner_id = ?2",
            [host, plugin],
            |r| r.get(0),
        )
        .unwrap()
}

/// A workspace whose clock stands at 06:00 on 1 December, with a Tenable source on a replay
/// server of its own.
fn with_source(dir: &std::path::Path) -> (SetClock, Workspace, Shared) {
    let clock = SetClock::at("2026-12-01T06:00:00Z".parse().unwrap());
    let mut ws = workspace(dir, &clock);
    let (base, server) = replay();
    sources::add(&mut ws, "tenable-vm", "Tenable", &base).unwrap();
    (clock, ws, server)
}

fn workspace(dir: &std::path::Path, clock: &SetClock) -> Workspace {
    Workspace::open_with(
        dir.join("sec.truce"),
        OpenOptions {
            actor: Some("sam".into()),
            clock: Arc::new(clock.clone()),
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn a_first_sync_then_an_incremental_one_land_what_the_exports_say() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    {
        let mut r = server.lock().unwrap();
        r.planned.push_back(chunks_of(1, &[3, 1]));
        r.planned.push_back(chunks_of(2, &[2]));
        r.throttle = 1;
    }
    let steps = Mutex::new(Vec::new());
    let first = sources::sync(&mut ws, "Tenable", &keys(), false, &replay::quick(), &|s| {
        steps.lock().unwrap().push(s)
    })
    .unwrap();
    assert_eq!(
        (first.chunks, first.findings, first.new),
        (2, 4, 4),
        "{first:?}"
    );
    assert!(
        steps
            .lock()
            .unwrap()
            .iter()
            .any(|s| matches!(s, Step::RateLimited { wait } if *wait == Duration::from_secs(1))),
        "the 429's Retry-After was waited for: {:?}",
        steps.lock().unwrap()
    );
    assert_eq!(status_of(&ws, "qa3app09", "18405"), "open");
    assert_eq!(status_of(&ws, "qa3app09", "58453"), "fixed");
    assert_eq!(status_of(&ws, "web01", "156103"), "open");

    clock.advance(chrono::Duration::days(2));
    let second = sources::sync(
        &mut ws,
        "Tenable",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    assert_eq!((second.chunks, second.findings), (1, 2), "{second:?}");
    assert_eq!(status_of(&ws, "qa3app09", "18405"), "fixed");
    assert_eq!(status_of(&ws, "qa3app09", "58453"), "open", "reopened");
    assert_eq!(
        status_of(&ws, "qa3app09", "57608"),
        "open",
        "not in the export: unchanged"
    );

    let r = server.lock().unwrap();
    let posts: Vec<&Value> = r
        .seen
        .iter()
        .filter(|s| s.0 == "POST")
        .map(|s| &s.3)
        .collect();
    // The first sync asks for everything since 2000, the second for what changed since the
    // first was asked for (06:00 on 1 Dec), an hour's overlap included; fixed ones explicitly.
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0]["filters"]["since"], json!(946684800));
    let first_asked = chrono::DateTime::parse_from_rfc3339("2026-12-01T06:00:00Z")
        .unwrap()
        .timestamp();
    assert_eq!(posts[1]["filters"]["since"], json!(first_asked - 3600));
    for p in &posts {
        assert_eq!(p["filters"]["state"], json!(["OPEN", "REOPENED", "FIXED"]));
    }
    assert!(
        r.seen
            .iter()
            .all(|s| s.2.as_deref() == Some(expected_keys().as_str())),
        "every request carries the keys"
    );
    drop(r);
    let listed = sources::get(&ws, "Tenable").unwrap();
    assert!(
        listed.last_problem.is_none() && listed.last_sync_at.is_some(),
        "{listed:?}"
    );
    assert_eq!(
        listed.last_result.as_deref(),
        Some("1 page, 2 findings: 0 new, 1 fixed, 1 reopened")
    );

    // The secret key is nowhere in the workspace: not in a table, the log or the file.
    drop(ws);
    replay::assert_nowhere(dir.path(), SECRET);
}

#[test]
fn a_sync_that_fails_midway_resumes_its_export_and_moves_nothing_forward() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    {
        let mut r = server.lock().unwrap();
        r.planned.push_back(chunks_of(1, &[3, 1]));
        // Chunk 1 fails at Tenable every time; chunk 2 (ready first) lands.
        r.broken = vec![1];
    }
    let failed = sources::sync(
        &mut ws,
        "Tenable",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap_err();
    let text = failed.to_string();
    assert!(text.contains("500") && text.contains("chunks/1"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    assert_eq!(
        status_of(&ws, "web01", "156103"),
        "open",
        "the chunk read before stays"
    );
    let noted = sources::get(&ws, "Tenable").unwrap();
    assert!(
        noted
            .last_problem
            .as_deref()
            .is_some_and(|p| p.contains("500")),
        "{noted:?}"
    );
    assert_eq!(noted.last_sync_at, None);

    server.lock().unwrap().broken.clear();
    let resumed = sources::sync(
        &mut ws,
        "Tenable",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    assert!(resumed.resumed, "{resumed:?}");
    assert_eq!(resumed.chunks, 1, "only the chunk not yet imported");
    assert_eq!(status_of(&ws, "qa3app09", "58453"), "fixed");
    let r = server.lock().unwrap();
    assert_eq!(
        r.seen.iter().filter(|s| s.0 == "POST").count(),
        1,
        "the same export, not a new one"
    );
    let chunk2 = r.seen.iter().filter(|s| s.1.ends_with("/chunks/2")).count();
    assert_eq!(chunk2, 1, "chunk 2 was not fetched again");
}

#[test]
fn an_export_tenable_forgot_is_asked_for_again_and_wrong_keys_are_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    {
        let mut r = server.lock().unwrap();
        r.planned.push_back(chunks_of(1, &[4]));
        r.planned.push_back(chunks_of(1, &[4]));
        r.forget = 1;
    }
    let r = sources::sync(
        &mut ws,
        "Tenable",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    assert_eq!((r.chunks, r.new), (1, 4));
    let posts: Vec<Value> = server
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|s| s.0 == "POST")
        .map(|s| s.3.clone())
        .collect();
    assert_eq!(posts.len(), 2, "a new export for the same window");
    assert_eq!(posts[0]["filters"], posts[1]["filters"]);

    let wrong = Keys {
        access_key: ACCESS.into(),
        secret_key: "not-the-secret".into(),
    };
    let before = common::dump(&ws);
    let refused = sources::check(&ws, "Tenable", &wrong, &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("401") && refused.contains("keys"),
        "{refused}"
    );
    assert!(!refused.contains("not-the-secret"), "{refused}");
    let refused = sources::sync(&mut ws, "Tenable", &wrong, true, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(refused.contains("not accepted (401)"), "{refused}");
    sources::check(&ws, "Tenable", &keys(), &replay::quick()).unwrap();
    // Nothing changed but the note of the failed sync.
    assert_eq!(
        replay::without_sources(&common::dump(&ws)),
        replay::without_sources(&before)
    );
    let noted = sources::get(&ws, "Tenable").unwrap();
    assert!(
        noted
            .last_problem
            .as_deref()
            .is_some_and(|p| p.contains("not accepted (401)")),
        "{noted:?}"
    );
}

#[test]
fn once_planning_is_in_use_what_a_sync_brings_joins_work_items() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    {
        // qa3app09's three first; web01's finding in a later export.
        let all = chunks_of(1, &[3, 1]);
        let mut r = server.lock().unwrap();
        r.planned.push_back(vec![all[0].clone()]);
        r.planned.push_back(vec![(1, all[1].1.clone())]);
    }
    sources::sync(
        &mut ws,
        "Tenable",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    truce_core::planning::regroup(&mut ws).unwrap();
    clock.advance(chrono::Duration::hours(6));
    sources::sync(
        &mut ws,
        "Tenable",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    let filed: i64 = ws
        .conn()
        .query_row(
            "SELECT count(*) FROM work_item_findings m
             JOIN findings f ON f.id = m.finding_id
             JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id = '156103'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        filed, 1,
        "web01's finding is in a work item, as after a file's import"
    );
}

#[test]
fn answers_tenable_does_not_document_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    server.lock().unwrap().planned.push_back(chunks_of(1, &[4]));
    let findings = |ws: &Workspace| -> i64 {
        ws.conn()
            .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
            .unwrap()
    };
    let sync = |ws: &mut Workspace, patience: &Patience| {
        sources::sync(ws, "Tenable", &keys(), false, patience, &|_| {})
            .map(|r| r.chunks)
            .map_err(|e| e.to_string())
    };
    server.lock().unwrap().forbidden = true;
    let e = sync(&mut ws, &replay::quick()).unwrap_err();
    assert!(
        e.contains("(403)") && e.contains("Basic role") && e.contains("/vulns/export"),
        "{e}"
    );
    server.lock().unwrap().forbidden = false;

    server.lock().unwrap().garbled = 1;
    let e = sync(&mut ws, &replay::quick()).unwrap_err();
    assert!(
        e.contains("/status") && e.contains("not what Tenable documents"),
        "{e}"
    );
    assert_eq!(findings(&ws), 0);

    server.lock().unwrap().endless = true;
    let e = sync(&mut ws, &replay::quick()).unwrap_err();
    assert!(
        e.contains("chunks/1") && e.contains("larger than 1 MiB"),
        "{e}"
    );
    assert_eq!(findings(&ws), 0, "nothing of a page too large is kept");
    server.lock().unwrap().endless = false;

    // A chunk that does not start within the request's time: tried again, then said.
    server.lock().unwrap().stall = Duration::from_secs(2);
    let impatient = Patience {
        request: Duration::from_millis(400),
        retries: 1,
        ..replay::quick()
    };
    let started = std::time::Instant::now();
    let e = sync(&mut ws, &impatient).unwrap_err();
    assert!(e.contains("did not answer in time"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(findings(&ws), 0);
    server.lock().unwrap().stall = Duration::ZERO;

    // Each failure is the source's last problem; the same export is then read whole.
    assert!(sources::get(&ws, "Tenable").unwrap().last_problem.is_some());
    assert_eq!(sync(&mut ws, &replay::quick()), Ok(1));
    assert_eq!(findings(&ws), 4);
    let posts = server
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|s| s.0 == "POST")
        .count();
    assert_eq!(
        posts, 2,
        "one refused, then one export read across the failures"
    );
}

#[test]
fn a_tag_scope_is_a_filter_of_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    assert!(sources::set_scope(&mut ws, "Tenable", Some("Paris")).is_err());
    sources::set_scope(&mut ws, "Tenable", Some("Location=Paris")).unwrap();
    server.lock().unwrap().planned.push_back(chunks_of(1, &[4]));
    sources::sync(
        &mut ws,
        "Tenable",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    let r = server.lock().unwrap();
    let post = r.seen.iter().find(|s| s.0 == "POST").unwrap();
    assert_eq!(post.3["filters"]["tag.Location"], json!(["Paris"]));
}

/// One host of the seeded sequence: Tenable's uuid, its name now, and its vulnerabilities
/// (plugin, port, state).
struct Host {
    uuid: String,
    name: String,
    vulns: Vec<(u32, u32, &'static str)>,
}

/// A xorshift step: the sequence is the same on every run.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// What changed at step `step`, as Tenable's export holds it: each changed vulnerability with its
/// host as the host is named now, seen `step` days after 1 December.
fn export_of(hosts: &[Host], changed: &[(usize, usize)], step: u32) -> Vec<u8> {
    let seen = format!("2026-12-{:02}T05:00:00.000Z", 1 + step);
    let vulns: Vec<Value> = changed
        .iter()
        .map(|&(h, v)| {
            let host = &hosts[h];
            let (plugin, port, state) = host.vulns[v];
            let severity = ["low", "medium", "high", "critical"][(plugin % 4) as usize];
            json!({
                "asset": {"uuid": host.uuid, "hostname": host.name, "ipv4": format!("10.9.0.{}", h + 1)},
                "plugin": {"id": plugin, "name": format!("Plugin {plugin}"), "cve": [format!("CVE-2026-{plugin}")]},
                "port": {"port": port, "protocol": "TCP"},
                "severity": severity,
                "state": state,
                "last_found": seen,
                "last_fixed": if state == "FIXED" { Value::String(seen.clone()) } else { Value::Null },
                "output": format!("step {step}"),
            })
        })
        .collect();
    serde_json::to_vec(&vulns).unwrap()
}

/// Each finding as (its asset's Tenable uuid, plugin, location, status, severity), sorted.
fn findings_view(ws: &Workspace) -> Vec<String> {
    ws.conn()
        .prepare(
            "SELECT (SELECT min(value) FROM asset_identifiers i WHERE i.asset_id = f.asset_id AND i.kind = 'cloud_id')
                    || ' ' || v.scanner_id || ' ' || f.location || ' ' || f.status || ' ' || f.severity
             FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_seeded_sequence_of_exports_lands_as_importing_the_same_chunks_as_files_would() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    std::fs::create_dir_all(dir.path().join("files")).unwrap();
    std::fs::create_dir_all(dir.path().join("chunks")).unwrap();
    let mut files = common::fresh(&dir.path().join("files"));
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut hosts: Vec<Host> = (0..12)
        .map(|h| Host {
            uuid: format!("5eed0000-0000-4000-8000-{h:012}"),
            name: format!("host{h:02}"),
            vulns: (0..6)
                .map(|p| (190_000 + p, [0, 22, 443][(p % 3) as usize], "OPEN"))
                .collect(),
        })
        .collect();
    let mut deleted = vec![false; hosts.len()];
    let (mut renamed, mut reopened, mut fixed) = (0, 0, 0);
    for step in 0..8u32 {
        // The first export holds everything; each later one what changed since.
        let mut changed: Vec<(usize, usize)> = Vec::new();
        for h in 0..hosts.len() {
            if deleted[h] {
                continue;
            }
            if step > 0 && next(&mut seed).is_multiple_of(17) {
                // Deleted in Tenable: never mentioned again.
                deleted[h] = true;
                continue;
            }
            if step > 0 && next(&mut seed).is_multiple_of(9) {
                hosts[h].name = format!("host{h:02}-renamed{step}");
                renamed += 1;
            }
            for v in 0..hosts[h].vulns.len() {
                let roll = next(&mut seed) % 10;
                let state = hosts[h].vulns[v].2;
                let new = match (state, roll) {
                    ("OPEN" | "REOPENED", 0..=2) => "FIXED",
                    ("FIXED", 0..=3) => "REOPENED",
                    (s, _) => s,
                };
                if step == 0 || new != state {
                    match new {
                        "FIXED" => fixed += 1,
                        "REOPENED" => reopened += 1,
                        _ => {}
                    }
                    hosts[h].vulns[v].2 = new;
                    changed.push((h, v));
                }
            }
            if step > 0 && next(&mut seed).is_multiple_of(7) {
                let plugin = 191_000 + step * 10 + h as u32;
                hosts[h].vulns.push((plugin, 8080, "OPEN"));
                changed.push((h, hosts[h].vulns.len() - 1));
            }
        }
        // Two chunks a step, as Tenable cuts an export.
        let half = changed.len() / 2;
        let chunks: Chunks = vec![
            (1, export_of(&hosts, &changed[..half], step)),
            (2, export_of(&hosts, &changed[half..], step)),
        ];
        for (id, bytes) in &chunks {
            let path = dir
                .path()
                .join(format!("chunks/step-{step}-chunk-{id}.json"));
            std::fs::write(&path, bytes).unwrap();
            truce_core::ingest::import_file(&mut files, &path, Some("tenable-vm")).unwrap();
        }
        server.lock().unwrap().planned.push_back(chunks);
        if step == 4 {
            // A chunk fails at Tenable: the sync stops, the next one resumes the same export.
            server.lock().unwrap().broken = vec![1];
            assert!(sources::sync(
                &mut ws,
                "Tenable",
                &keys(),
                false,
                &replay::quick(),
                &|_| {}
            )
            .is_err());
            server.lock().unwrap().broken.clear();
            let r = sources::sync(
                &mut ws,
                "Tenable",
                &keys(),
                false,
                &replay::quick(),
                &|_| {},
            )
            .unwrap();
            assert!(r.resumed);
        } else {
            sources::sync(
                &mut ws,
                "Tenable",
                &keys(),
                false,
                &replay::quick(),
                &|_| {},
            )
            .unwrap();
        }
        clock.advance(chrono::Duration::days(1));
    }
    // The sequence had each kind of change in it.
    assert!(
        renamed > 0 && reopened > 0 && fixed > 0 && deleted.iter().any(|d| *d),
        "{renamed} {reopened} {fixed} {deleted:?}"
    );
    let synced = findings_view(&ws);
    assert_eq!(synced, findings_view(&files));
    assert!(synced
        .iter()
        .any(|f| f.ends_with(" open medium") || f.contains(" open ")));
    assert!(synced.iter().any(|f| f.contains(" fixed ")));
    // A renamed host stays one asset, known by both names.
    let hosts_known: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(hosts_known as usize, hosts.len());
}
