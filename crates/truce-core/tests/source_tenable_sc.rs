//! Syncing from Tenable Security Center against a replay server on 127.0.0.1 that answers as SC
//! documents `POST /rest/analysis`: `cumulative` and `patched` vulnerability details paged by
//! `startOffset`/`endOffset` (two results a page, whatever is asked), every value a string, the
//! `x-apikey` header, errors in SC's envelope (`error_code`, `error_msg`) under 403 and under
//! 200. Its results are tests/corpus/scans/tenable/sc-analysis's; what lands is what importing
//! them lands (tests/format_tenable_sc.rs). The requests Truce sends are checked too.

mod common;
#[path = "common/replay.rs"]
mod replay;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use truce_core::clock::SetClock;
use truce_core::sources::{self, Keys};
use truce_core::Workspace;

const ACCESS: &str = "9c1a7b3e5d2f4a6b8c0d1e2f3a4b5c6d";
const SECRET: &str = "sc-secret-never-stored-0f9e8d7c";
const PAGE: usize = 2;

#[derive(Default)]
struct Replay {
    /// Every request's body.
    seen: Vec<Value>,
    /// Answers 200 with an error envelope this many times.
    errors_under_200: u32,
    /// Cumulative pages (by offset) answered 500 until cleared.
    broken: Vec<u64>,
}

type Shared = Arc<Mutex<Replay>>;

fn results(name: &str) -> Vec<Value> {
    let text = std::fs::read(common::corpus(&format!("tenable/sc-analysis/{name}"))).unwrap();
    let v: Value = serde_json::from_slice(&text).unwrap();
    v["response"]["results"].as_array().unwrap().clone()
}

fn envelope_error(status: StatusCode, code: i64, msg: &str) -> Response {
    (
        status,
        [("content-type", "text/html; charset=UTF-8")],
        json!({"type": "regular", "response": "", "error_code": code, "error_msg": msg, "warnings": [], "timestamp": 1764547200})
            .to_string(),
    )
        .into_response()
}

async fn analysis(State(s): State<Shared>, h: HeaderMap, Json(body): Json<Value>) -> Response {
    let mut r = s.lock().unwrap();
    r.seen.push(body.clone());
    let expected = format!("accesskey={ACCESS}; secretkey={SECRET};");
    if h.get("x-apikey").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return envelope_error(
            StatusCode::FORBIDDEN,
            12,
            "This request contains an invalid token.",
        );
    }
    if r.errors_under_200 > 0 {
        r.errors_under_200 -= 1;
        return envelope_error(
            StatusCode::OK,
            146,
            "Invalid parameters specified for filter 'lastSeen'.",
        );
    }
    let offset = body["query"]["startOffset"].as_u64().unwrap_or(0);
    let all = match body["sourceType"].as_str() {
        Some("cumulative") => {
            if r.broken.contains(&offset) {
                return envelope_error(StatusCode::INTERNAL_SERVER_ERROR, 0, "");
            }
            results("cumulative.json")
        }
        Some("patched") => results("patched.json"),
        _ => return envelope_error(StatusCode::FORBIDDEN, 146, "Invalid sourceType."),
    };
    let page: Vec<Value> = all
        .iter()
        .skip(offset as usize)
        .take(PAGE)
        .cloned()
        .collect();
    (
        [("content-type", "text/html; charset=UTF-8")],
        json!({"type": "regular", "response": {
            "totalRecords": all.len().to_string(), "returnedRecords": page.len(),
            "startOffset": offset.to_string(), "endOffset": (offset + PAGE as u64).to_string(),
            "matchingDataElementCount": "-1", "results": page},
          "error_code": 0, "error_msg": "", "warnings": [], "timestamp": 1764547200})
        .to_string(),
    )
        .into_response()
}

fn replay() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/rest/analysis", post(analysis))
        .with_state(shared.clone());
    let base = replay::serve(app);
    (base, shared)
}

fn keys() -> Keys {
    Keys {
        access_key: ACCESS.into(),
        secret_key: SECRET.into(),
    }
}

fn status_of(ws: &Workspace, plugin: &str) -> String {
    ws.conn()
        .query_row(
            "SELECT f.status FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = ?1",
            [plugin],
            |r| r.get(0),
        )
        .unwrap()
}

fn with_source(dir: &std::path::Path) -> (SetClock, Workspace, Shared) {
    let (clock, mut ws) = replay::workspace(dir);
    let (base, server) = replay();
    sources::add(&mut ws, "tenable-sc", "SC", &base).unwrap();
    (clock, ws, server)
}

#[test]
fn a_sync_asks_what_is_vulnerable_then_what_was_mitigated_and_later_only_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    let first = sources::sync(&mut ws, "SC", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    // Three cumulative results two a page (2 pages), one patched: 3 pages, 4 findings.
    assert_eq!((first.chunks, first.findings), (3, 4), "{first:?}");
    assert_eq!(status_of(&ws, "18405"), "open");
    assert_eq!(status_of(&ws, "58453"), "fixed");
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T06:00:00Z")
        .unwrap()
        .timestamp();
    {
        let r = server.lock().unwrap();
        let asked: Vec<(String, u64, Value)> = r
            .seen
            .iter()
            .map(|b| {
                (
                    b["sourceType"].as_str().unwrap().to_string(),
                    b["query"]["startOffset"].as_u64().unwrap(),
                    b["query"]["filters"].clone(),
                )
            })
            .collect();
        assert_eq!(
            asked[0],
            ("cumulative".into(), 0, json!([])),
            "everything vulnerable now"
        );
        assert_eq!(asked[1].0, "cumulative");
        assert_eq!(asked[1].1, 2);
        assert_eq!(
            asked[2],
            (
                "patched".into(),
                0,
                json!([{"filterName": "lastMitigated", "operator": "=", "value": format!("0-{now}")}])
            )
        );
        assert!(r.seen.iter().all(|b| b["query"]["tool"] == "vulndetails"
            && b["startOffset"] == b["query"]["startOffset"]));
    }
    server.lock().unwrap().seen.clear();
    clock.advance(chrono::Duration::days(1));
    sources::sync(&mut ws, "SC", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    let r = server.lock().unwrap();
    let later = now + 86_400;
    let window = format!("{}-{later}", now - 3600);
    assert_eq!(
        r.seen[0]["query"]["filters"],
        json!([{"filterName": "lastSeen", "operator": "=", "value": window}])
    );
    assert_eq!(
        r.seen.last().unwrap()["query"]["filters"][0]["filterName"],
        "lastMitigated"
    );
    drop(r);
    drop(ws);
    replay::assert_nowhere(dir.path(), SECRET);
}

#[test]
fn a_sync_that_fails_on_a_page_resumes_there() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    server.lock().unwrap().broken = vec![2];
    let e = sources::sync(&mut ws, "SC", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("500"), "{e}");
    assert!(!e.contains(SECRET), "{e}");
    assert_eq!(status_of(&ws, "18405"), "open", "the first page stays");
    {
        let mut r = server.lock().unwrap();
        r.broken.clear();
        r.seen.clear();
    }
    let resumed = sources::sync(&mut ws, "SC", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    assert!(resumed.resumed);
    let r = server.lock().unwrap();
    assert_eq!(r.seen[0]["sourceType"], "cumulative");
    assert_eq!(
        r.seen[0]["query"]["startOffset"], 2,
        "from the page that failed"
    );
    assert_eq!(resumed.chunks, 2);
}

#[test]
fn refusals_are_said_in_sc_words_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    let before = common::dump(&ws);
    let wrong = Keys {
        access_key: ACCESS.into(),
        secret_key: "not-it".into(),
    };
    let e = sources::check(&ws, "SC", &wrong, &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("access key or secret key is not accepted") && e.contains("invalid token"),
        "{e}"
    );
    assert!(!e.contains("not-it"), "{e}");
    sources::check(&ws, "SC", &keys(), &replay::quick()).unwrap();
    server.lock().unwrap().errors_under_200 = 1;
    let e = sources::sync(&mut ws, "SC", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("error 146") && e.contains("Invalid parameters"),
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
fn a_scope_of_repositories_filters_both_questions() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    sources::set_scope(&mut ws, "SC", Some("1,3")).unwrap();
    sources::sync(&mut ws, "SC", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    let r = server.lock().unwrap();
    for b in &r.seen {
        let filters = b["query"]["filters"].as_array().unwrap();
        assert!(
            filters.contains(&json!({"filterName": "repository", "operator": "=", "value": [{"id": "1"}, {"id": "3"}]})),
            "{b}"
        );
    }
}
