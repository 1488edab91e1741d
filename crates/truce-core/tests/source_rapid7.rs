//! Syncing from Rapid7 InsightVM against a replay server on 127.0.0.1 that answers as InsightVM's
//! API v3 documents: assets paged by `page` and `size` (a page of two, whatever the size asked),
//! each asset's findings paged too, each vulnerability's definition, basic auth, 401 and 503 as
//! `{status, message, links}`. Its data is tests/corpus/scans/rapid7/insightvm-api's; what lands
//! is what importing those pages lands (tests/format_rapid7_insightvm.rs). The requests are
//! checked too: every definition is asked once a sync.

mod common;
#[path = "common/replay.rs"]
mod replay;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use truce_core::clock::SetClock;
use truce_core::sources::{self, Keys};
use truce_core::Workspace;

const USER: &str = "nxadmin";
const PASSWORD: &str = "Rap1d7-never-stored";
/// What the replay server pages by, whatever `size` asks.
const PAGE: usize = 2;

#[derive(Default)]
struct Replay {
    findings: Value,
    /// Each asset's latest scan, added to its history (the rescan).
    rescanned: Option<Value>,
    /// Every request's path and query.
    seen: Vec<(String, HashMap<String, String>)>,
    /// Answers 503 this many times.
    unavailable: u32,
    /// Asset pages (by number) answered 500 until cleared.
    broken: Vec<usize>,
}

type Shared = Arc<Mutex<Replay>>;

fn corpus(name: &str) -> Value {
    let text = std::fs::read(common::corpus(&format!("rapid7/insightvm-api/{name}"))).unwrap();
    serde_json::from_slice(&text).unwrap()
}

fn error(status: StatusCode) -> Response {
    (
        status,
        Json(json!({"status": status.as_u16().to_string(), "message": "An error has occurred.", "links": []})),
    )
        .into_response()
}

/// Notes the request; 401 without the credentials, 503 while unavailable.
fn heard(r: &mut Replay, uri: &Uri, h: &HeaderMap) -> Option<Response> {
    r.seen.push((uri.path().to_string(), replay::query(uri)));
    let expected = replay::basic(USER, PASSWORD);
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return Some(error(StatusCode::UNAUTHORIZED));
    }
    if r.unavailable > 0 {
        r.unavailable -= 1;
        return Some(error(StatusCode::SERVICE_UNAVAILABLE));
    }
    None
}

/// `all` paged as InsightVM pages: a page beyond the last is 404.
fn paged(all: &[Value], q: &HashMap<String, String>) -> Response {
    let number: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    let pages = all.len().div_ceil(PAGE);
    if number > 0 && number >= pages {
        return error(StatusCode::NOT_FOUND);
    }
    let resources: Vec<Value> = all.iter().skip(number * PAGE).take(PAGE).cloned().collect();
    Json(json!({
        "resources": resources,
        "page": {"number": number, "size": PAGE, "totalPages": pages, "totalResources": all.len()},
        "links": [{"href": "https://insightvm.example.com:3780/api/3/...", "rel": "self"}],
    }))
    .into_response()
}

/// The console's assets, each with the rescan's date in its history once there was one.
fn all_assets(r: &Replay) -> Vec<Value> {
    let mut all = corpus("assets.json").as_array().unwrap().clone();
    if let Some(later) = &r.rescanned {
        for a in &mut all {
            let date = later[a["id"].as_i64().unwrap().to_string()].clone();
            a["history"]
                .as_array_mut()
                .unwrap()
                .push(json!({"date": date, "type": "SCAN", "scanId": 950}));
        }
    }
    all
}

async fn assets(State(s): State<Shared>, uri: Uri, h: HeaderMap) -> Response {
    let mut r = s.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    let q = replay::query(&uri);
    let number: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(0);
    if r.broken.contains(&number) {
        return error(StatusCode::INTERNAL_SERVER_ERROR);
    }
    paged(&all_assets(&r), &q)
}

/// Site 7 holds ws-1 and db-1; any other site is not the user's (404, as InsightVM answers).
async fn site_assets(
    State(s): State<Shared>,
    uri: Uri,
    h: HeaderMap,
    Path(site): Path<i64>,
) -> Response {
    let mut r = s.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    if site != 7 {
        return error(StatusCode::NOT_FOUND);
    }
    let site: Vec<Value> = all_assets(&r)
        .into_iter()
        .filter(|a| a["id"] != 284)
        .collect();
    paged(&site, &replay::query(&uri))
}

async fn findings(
    State(s): State<Shared>,
    uri: Uri,
    h: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let mut r = s.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    let all = r.findings[id.to_string()]
        .as_array()
        .cloned()
        .unwrap_or_default();
    paged(&all, &replay::query(&uri))
}

async fn definition(
    State(s): State<Shared>,
    uri: Uri,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut r = s.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    match corpus("vulnerabilities.json").get(&id) {
        Some(v) => Json(v.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND),
    }
}

fn replay() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Replay {
        findings: corpus("findings.json"),
        ..Replay::default()
    }));
    let app = Router::new()
        .route("/api/3/assets", get(assets))
        .route("/api/3/sites/{site}/assets", get(site_assets))
        .route("/api/3/assets/{id}/vulnerabilities", get(findings))
        .route("/api/3/vulnerabilities/{id}", get(definition))
        .with_state(shared.clone());
    let base = replay::serve(app);
    (base, shared)
}

fn keys() -> Keys {
    Keys {
        access_key: USER.into(),
        secret_key: PASSWORD.into(),
    }
}

fn status_of(ws: &Workspace, host: &str, id: &str, location: &str) -> String {
    ws.conn()
        .query_row(
            "SELECT f.status FROM findings f
             JOIN vulnerabilities v ON v.id = f.vulnerability_id
             JOIN asset_identifiers i ON i.asset_id = f.asset_id
             WHERE i.value = ?1 AND v.scanner_id = ?2 AND f.location = ?3",
            [host, id, location],
            |r| r.get(0),
        )
        .unwrap()
}

fn with_source(dir: &std::path::Path) -> (SetClock, Workspace, Shared) {
    let (clock, mut ws) = replay::workspace(dir);
    let (base, server) = replay();
    sources::add(&mut ws, "rapid7-insightvm", "InsightVM", &base).unwrap();
    (clock, ws, server)
}

#[test]
fn every_sync_reads_every_asset_and_closes_what_insightvm_no_longer_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    server.lock().unwrap().unavailable = 1;
    let first = sources::sync(
        &mut ws,
        "InsightVM",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    // Three assets, two a page: two pages; five findings.
    assert_eq!(
        (first.chunks, first.findings, first.new),
        (2, 5, 5),
        "{first:?}"
    );
    assert_eq!(
        status_of(&ws, "ws-1", "msft-cve-2024-38063", "0/tcp"),
        "open"
    );
    {
        let r = server.lock().unwrap();
        let defs: Vec<&str> = r
            .seen
            .iter()
            .filter(|s| s.0.starts_with("/api/3/vulnerabilities/"))
            .map(|s| s.0.as_str())
            .collect();
        let mut unique = defs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            defs.len(),
            unique.len(),
            "each definition asked once: {defs:?}"
        );
        assert_eq!(defs.len(), 5);
        // ws-1's three findings come in two pages of its own.
        let ws1: Vec<&str> = r
            .seen
            .iter()
            .filter(|s| s.0 == "/api/3/assets/282/vulnerabilities")
            .map(|s| s.1["page"].as_str())
            .collect();
        assert_eq!(ws1, ["0", "1"]);
        let asset_pages: Vec<&HashMap<String, String>> = r
            .seen
            .iter()
            .filter(|s| s.0 == "/api/3/assets")
            .map(|s| &s.1)
            .collect();
        // The 503 was tried again; assets sorted by id so the pages do not shift.
        assert_eq!(asset_pages.len(), 3);
        assert!(
            asset_pages.iter().all(|q| q["sort"] == "id,ASC"),
            "{asset_pages:?}"
        );
    }

    // The rescan: the Windows update installed, 443 fixed, app-2's Apache found.
    {
        let mut r = server.lock().unwrap();
        r.findings = corpus("findings-later.json");
        r.rescanned = Some(corpus("assets-later-history.json"));
        r.seen.clear();
    }
    clock.advance(chrono::Duration::days(2));
    let later = sources::sync(
        &mut ws,
        "InsightVM",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    assert_eq!((later.closed, later.new), (2, 1), "{later:?}");
    assert_eq!(
        status_of(&ws, "ws-1", "msft-cve-2024-38063", "0/tcp"),
        "fixed"
    );
    assert_eq!(
        status_of(&ws, "ws-1", "ssl-self-signed-certificate", "443/tcp"),
        "fixed"
    );
    assert_eq!(
        status_of(&ws, "ws-1", "tls-server-cert-expired", "443/tcp"),
        "open"
    );
    assert_eq!(
        status_of(&ws, "app-2", "apache-httpd-cve-2021-41773", "80/tcp"),
        "open"
    );

    drop(ws);
    replay::assert_nowhere(dir.path(), PASSWORD);
}

#[test]
fn a_rescan_that_stops_midway_closes_nothing_on_the_assets_it_did_not_reach() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    sources::sync(
        &mut ws,
        "InsightVM",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    {
        let mut r = server.lock().unwrap();
        // On the rescan, db-1's OpenSSH is gone too, but the page holding 284 fails.
        let mut later = corpus("findings-later.json");
        later["283"] = json!([]);
        r.findings = later;
        r.rescanned = Some(corpus("assets-later-history.json"));
        r.broken = vec![1];
        r.seen.clear();
    }
    clock.advance(chrono::Duration::days(2));
    let e = sources::sync(
        &mut ws,
        "InsightVM",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("500") && e.contains("page=1"), "{e}");
    assert!(!e.contains(PASSWORD), "{e}");
    // The first page (282, 283) was read whole: closed there.
    assert_eq!(
        status_of(&ws, "ws-1", "msft-cve-2024-38063", "0/tcp"),
        "fixed"
    );
    assert_eq!(
        status_of(&ws, "db-1", "openssh-cve-2023-38408", "22/tcp"),
        "fixed"
    );
    server.lock().unwrap().broken.clear();
    let resumed = sources::sync(
        &mut ws,
        "InsightVM",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    assert!(resumed.resumed);
    assert_eq!((resumed.chunks, resumed.new), (1, 1), "{resumed:?}");
    assert_eq!(
        status_of(&ws, "app-2", "apache-httpd-cve-2021-41773", "80/tcp"),
        "open"
    );
}

#[test]
fn wrong_credentials_are_said_plainly_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, _server) = with_source(dir.path());
    let wrong = Keys {
        access_key: USER.into(),
        secret_key: "not-it".into(),
    };
    let before = common::dump(&ws);
    let e = sources::check(&ws, "InsightVM", &wrong, &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("user name or password is not accepted (401)"),
        "{e}"
    );
    assert!(!e.contains("not-it"), "{e}");
    let e = sources::sync(
        &mut ws,
        "InsightVM",
        &wrong,
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("(401)"), "{e}");
    sources::check(&ws, "InsightVM", &keys(), &replay::quick()).unwrap();
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
fn a_site_scope_reads_that_site_only() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    assert!(sources::set_scope(&mut ws, "InsightVM", Some("Paris")).is_err());
    sources::set_scope(&mut ws, "InsightVM", Some("7")).unwrap();
    let r = sources::sync(
        &mut ws,
        "InsightVM",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    // ws-1 and db-1: one page, five findings.
    assert_eq!((r.chunks, r.findings), (1, 5), "{r:?}");
    assert!(server
        .lock()
        .unwrap()
        .seen
        .iter()
        .all(|s| !s.0.starts_with("/api/3/assets?") && s.0 != "/api/3/assets"));
    sources::set_scope(&mut ws, "InsightVM", Some("8")).unwrap();
    let e = sources::check(&ws, "InsightVM", &keys(), &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nothing to read here (404)") && e.contains("/sites/8/assets"),
        "{e}"
    );
}
