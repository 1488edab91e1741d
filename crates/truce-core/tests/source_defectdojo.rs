//! Syncing from DefectDojo against a replay server on 127.0.0.1 that answers as DefectDojo's API
//! v2 does: `GET /api/v2/findings/` paged by limit and offset (capping the page size, as
//! DefectDojo Pro does), ordered by `o=`, `prefetch=endpoints` and `related_fields=true` adding
//! their objects, 403 `{"detail": "Invalid token."}` for a token it does not know, 500s. Its
//! findings are tests/corpus/scans/defectdojo/api-findings's; what lands is what importing those
//! pages lands (tests/format_defectdojo.rs). The requests Truce sends are checked too.

mod common;
#[path = "common/replay.rs"]
mod replay;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::Uri;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use truce_core::clock::SetClock;
use truce_core::sources::{self, Keys};
use truce_core::Workspace;

const TOKEN: &str = "c8572a5adf107a693aa6c72584da31f4d1f1dcff";

/// What the replay server holds and was asked.
#[derive(Default)]
struct Replay {
    /// The findings, by id, and the endpoints a page may prefetch.
    findings: HashMap<u64, Value>,
    endpoints: HashMap<String, Value>,
    /// The most findings a page holds, whatever `limit` asks.
    cap: usize,
    /// Every findings request: its query parameters and Authorization header.
    seen: Vec<(HashMap<String, String>, Option<String>)>,
    /// Pages at these offsets answer 500 (until cleared).
    broken: Vec<usize>,
    /// Pages at these offsets answer HTML instead of JSON (until cleared).
    garbled: Vec<usize>,
}

type Shared = Arc<Mutex<Replay>>;

fn load(r: &mut Replay, n: u32) {
    let text = std::fs::read(common::corpus(&format!(
        "defectdojo/api-findings/page-{n}.json"
    )))
    .unwrap();
    let page: Value = serde_json::from_slice(&text).unwrap();
    for f in page["results"].as_array().unwrap() {
        r.findings.insert(f["id"].as_u64().unwrap(), f.clone());
    }
    for (id, e) in page["prefetch"]["endpoints"].as_object().unwrap() {
        r.endpoints.insert(id.clone(), e.clone());
    }
}

async fn findings(State(shared): State<Shared>, h: HeaderMap, uri: Uri) -> Response {
    let q: HashMap<String, String> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%2C", ",")))
        .collect();
    let mut r = shared.lock().unwrap();
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    r.seen.push((q.clone(), auth.clone()));
    if auth.as_deref() != Some(&format!("Token {TOKEN}")) {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"detail": "Invalid token."})),
        )
            .into_response();
    }
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let limit: usize = q.get("limit").and_then(|o| o.parse().ok()).unwrap_or(25);
    if r.broken.contains(&offset) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": "Internal server error, check logs for details"})),
        )
            .into_response();
    }
    if r.garbled.contains(&offset) {
        return (
            [("content-type", "application/json")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response();
    }
    let mut all: Vec<&Value> = r.findings.values().collect();
    // Pages are served only in the order Truce asks for; anything else would page unpredictably.
    if q.contains_key("offset") {
        assert_eq!(
            q.get("o").map(String::as_str),
            Some("-last_status_update,id")
        );
    }
    all.sort_by(|a, b| {
        let t = |v: &Value| v["last_status_update"].as_str().unwrap_or("").to_string();
        t(b).cmp(&t(a))
            .then(a["id"].as_u64().cmp(&b["id"].as_u64()))
    });
    let size = limit.min(r.cap.max(1));
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(size)
        .map(|v| (*v).clone())
        .collect();
    let mut prefetched = serde_json::Map::new();
    if q.get("prefetch").map(String::as_str) == Some("endpoints") {
        for f in &page {
            for id in f["endpoints"].as_array().unwrap() {
                let id = id.to_string();
                if let Some(e) = r.endpoints.get(&id) {
                    prefetched.insert(id, e.clone());
                }
            }
        }
    }
    let next = (offset + page.len() < all.len()).then(|| {
        format!(
            "http://testserver/api/v2/findings/?limit={size}&offset={}",
            offset + page.len()
        )
    });
    Json(json!({
        "count": all.len(),
        "next": next,
        "previous": null,
        "results": page,
        "prefetch": {"endpoints": prefetched},
    }))
    .into_response()
}

/// The replay server on a free loopback port: its address and state.
fn replay() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Replay {
        cap: 2,
        ..Replay::default()
    }));
    let app = Router::new()
        .route("/api/v2/findings/", get(findings))
        .with_state(shared.clone());
    let base = replay::serve(app);
    (base, shared)
}

fn keys() -> Keys {
    Keys {
        access_key: String::new(),
        secret_key: TOKEN.into(),
    }
}

fn status_of(ws: &Workspace, asset: &str, id: &str) -> Vec<String> {
    ws.conn()
        .prepare(
            "SELECT f.status FROM findings f
             JOIN vulnerabilities v ON v.id = f.vulnerability_id
             JOIN asset_identifiers i ON i.asset_id = f.asset_id
             WHERE i.value = ?1 AND v.scanner_id = ?2 ORDER BY f.location",
        )
        .unwrap()
        .query_map([asset, id], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// A workspace with a DefectDojo source on a replay server of its own holding page 1's findings.
fn with_source(dir: &std::path::Path) -> (SetClock, Workspace, Shared) {
    let (clock, mut ws) = replay::workspace(dir);
    let (base, server) = replay();
    load(&mut server.lock().unwrap(), 1);
    sources::add(&mut ws, "defectdojo", "Dojo", &base).unwrap();
    (clock, ws, server)
}

/// Findings older than page 1's, so that an incremental sync has something to leave unread.
fn add_old_findings(r: &mut Replay, n: u64) {
    let model = r.findings[&407].clone();
    for i in 0..n {
        let mut f = model.clone();
        f["id"] = json!(100 + i);
        f["title"] = json!(format!("Old dependency finding {i}"));
        f["component_name"] = json!(format!("old-lib-{i}"));
        f["last_status_update"] = json!(format!("2026-10-{:02}T08:00:00.000000Z", 10 + i));
        r.findings.insert(100 + i, f);
    }
}

fn offsets(r: &Replay) -> Vec<String> {
    r.seen
        .iter()
        .map(|(q, _)| q.get("offset").cloned().unwrap_or_default())
        .collect()
}

#[test]
fn a_first_sync_reads_every_page_and_a_later_one_stops_at_what_it_saw() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    add_old_findings(&mut server.lock().unwrap(), 4);
    let first = sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    // Eight findings, two a page (the server's cap, whatever the limit asked): four pages; nine
    // Truce findings (399 is on two endpoints).
    assert_eq!(
        (first.chunks, first.findings, first.new),
        (4, 9, 9),
        "{first:?}"
    );
    assert_eq!(status_of(&ws, "app01.example.com", "412"), ["open"]);
    assert_eq!(status_of(&ws, "app01.example.com", "399"), ["fixed"]);
    assert_eq!(
        status_of(&ws, "defectdojo:Customer Portal", "350"),
        ["false_positive"]
    );
    {
        let r = server.lock().unwrap();
        assert_eq!(offsets(&r), ["0", "2", "4", "6"]);
        for (q, auth) in &r.seen {
            assert_eq!(auth.as_deref(), Some(format!("Token {TOKEN}").as_str()));
            assert_eq!(q.get("limit").map(String::as_str), Some("250"));
            assert_eq!(q.get("duplicate").map(String::as_str), Some("false"));
            assert_eq!(q.get("prefetch").map(String::as_str), Some("endpoints"));
            assert_eq!(q.get("related_fields").map(String::as_str), Some("true"));
        }
    }

    // DefectDojo moves on: 412 mitigated, 399 active again on app01 (page 2's findings).
    {
        let mut r = server.lock().unwrap();
        load(&mut r, 2);
        r.seen.clear();
    }
    clock.advance(chrono::Duration::days(2));
    let second = sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    assert_eq!(status_of(&ws, "app01.example.com", "412"), ["fixed"]);
    assert_eq!(status_of(&ws, "app01.example.com", "399"), ["open"]);
    assert_eq!(status_of(&ws, "10.20.0.15", "399"), ["fixed"]);
    assert_eq!((second.closed, second.reopened), (1, 1), "{second:?}");
    // The last sync saw changes up to 30 Nov 09:15 (412's); the order puts 412 (2 Dec), 399
    // (1 Dec) first, then 407 (28 Nov), which is older: the second page is the last read.
    assert_eq!(offsets(&server.lock().unwrap()), ["0", "2"]);
    let listed = sources::get(&ws, "Dojo").unwrap();
    assert!(listed.last_problem.is_none(), "{listed:?}");

    // A full sync reads everything again, and changes nothing.
    server.lock().unwrap().seen.clear();
    let full = sources::sync(&mut ws, "Dojo", &keys(), true, &replay::quick(), &|_| {}).unwrap();
    assert_eq!(
        (full.chunks, full.new, full.closed, full.reopened),
        (4, 0, 0, 0),
        "{full:?}"
    );

    drop(ws);
    replay::assert_nowhere(dir.path(), TOKEN);
}

#[test]
fn a_sync_that_fails_midway_resumes_at_its_page_and_keeps_what_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    add_old_findings(&mut server.lock().unwrap(), 4);
    server.lock().unwrap().broken = vec![4];
    let failed = sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        failed.contains("500") && failed.contains("offset=4") && failed.contains("Dojo"),
        "{failed}"
    );
    assert!(!failed.contains(TOKEN), "{failed}");
    // Pages at 0 and 2 landed.
    assert_eq!(status_of(&ws, "app01.example.com", "412"), ["open"]);
    let noted = sources::get(&ws, "Dojo").unwrap();
    assert!(
        noted
            .last_problem
            .as_deref()
            .is_some_and(|p| p.contains("500")),
        "{noted:?}"
    );
    {
        let mut r = server.lock().unwrap();
        r.broken.clear();
        r.seen.clear();
    }
    let resumed =
        sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    assert!(resumed.resumed, "{resumed:?}");
    assert_eq!(
        offsets(&server.lock().unwrap()),
        ["4", "6"],
        "from the page that failed"
    );
    let total: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total, 9);

    // The sync that resumed was the first's end: the next one stops early, as after a whole one
    // (nothing changed: the first page reaches past 412's change of 30 Nov).
    server.lock().unwrap().seen.clear();
    sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    assert_eq!(offsets(&server.lock().unwrap()), ["0"]);
}

#[test]
fn a_wrong_token_and_a_garbled_page_are_said_plainly_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    let wrong = Keys {
        access_key: String::new(),
        secret_key: "0000000000000000000000000000000000000000".into(),
    };
    let before = common::dump(&ws);
    let e = sources::check(&ws, "Dojo", &wrong, &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(e.contains("API token is not accepted"), "{e}");
    assert!(!e.contains("0000000000"), "{e}");
    let e = sources::sync(&mut ws, "Dojo", &wrong, false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("API token is not accepted"), "{e}");
    sources::check(&ws, "Dojo", &keys(), &replay::quick()).unwrap();

    server.lock().unwrap().garbled = vec![0];
    let e = sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("not DefectDojo's list of findings") && e.contains("offset=0"),
        "{e}"
    );
    let findings: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(findings, 0);
    assert_eq!(
        replay::without_sources(&common::dump(&ws)),
        replay::without_sources(&before)
    );
}

#[test]
fn a_scope_asks_for_one_product_only_and_a_new_scope_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    let s = sources::set_scope(&mut ws, "Dojo", Some("Customer Portal")).unwrap();
    assert_eq!(s.scope.as_deref(), Some("Customer Portal"));
    server.lock().unwrap().seen.clear();
    sources::sync(&mut ws, "Dojo", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    let r = server.lock().unwrap();
    // Another scope is another window: read from the newest change on, as a first sync.
    assert!(
        r.seen
            .iter()
            .all(|(q, _)| q.get("product_name").map(String::as_str) == Some("Customer%20Portal")),
        "{:?}",
        r.seen
    );
    assert_eq!(offsets(&r), ["0", "2"]);
}
