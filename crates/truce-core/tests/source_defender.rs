//! Syncing from Microsoft Defender Vulnerability Management against a replay server on 127.0.0.1
//! that answers as Microsoft documents: Entra ID's client-credentials token endpoint (and its
//! `invalid_client` refusal), the export paged by `@odata.nextLink`, the changes since a time,
//! 401 for a token it no longer takes, 429 with Retry-After. Its pages are
//! tests/corpus/scans/ms_defender/tvm-api's; what lands is what importing them lands
//! (tests/format_defender_tvm.rs). The requests Truce sends are checked too.

mod common;
#[path = "common/replay.rs"]
mod replay;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use truce_core::clock::SetClock;
use truce_core::sources::{self, Keys, Step};
use truce_core::Workspace;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "f2c8e1a4-0d3b-4c6e-9a7f-5b1d2e3c4f50";
const SECRET: &str = "Xy8Q~never.stored-in-the-workspace";

#[derive(Default)]
struct Replay {
    base: String,
    /// Tokens handed out; the ones still taken.
    issued: Vec<String>,
    valid: Vec<String>,
    /// Every API request: path and query.
    seen: Vec<(String, HashMap<String, String>)>,
    /// Every token request's form.
    signins: Vec<HashMap<String, String>>,
    /// API calls answered 429 (Retry-After: 1) before the next one is served.
    throttle: u32,
}

type Shared = Arc<Mutex<Replay>>;

fn decode(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn pairs(s: &str) -> HashMap<String, String> {
    s.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn corpus(name: &str, base: &str) -> Value {
    let text =
        std::fs::read_to_string(common::corpus(&format!("ms_defender/tvm-api/{name}"))).unwrap();
    serde_json::from_str(&text.replace("https://api.securitycenter.microsoft.com", base)).unwrap()
}

async fn token(State(s): State<Shared>, Path(tenant): Path<String>, body: String) -> Response {
    let mut r = s.lock().unwrap();
    let form = pairs(&body);
    r.signins.push(form.clone());
    if tenant != TENANT
        || form.get("client_id").map(String::as_str) != Some(CLIENT)
        || form.get("client_secret").map(String::as_str) != Some(SECRET)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0000\r\nCorrelation ID: 0000",
                "error_codes": [7000215], "timestamp": "2026-12-01 06:00:00Z"
            })),
        )
            .into_response();
    }
    let t = format!("eyJ0eXAiOiJKV1Qi.token-{}", r.issued.len() + 1);
    r.issued.push(t.clone());
    r.valid.push(t.clone());
    Json(json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": t})).into_response()
}

/// Notes the call; 401 for a token not (or no longer) taken, 429 while throttled.
fn heard(r: &mut Replay, uri: &Uri, h: &HeaderMap) -> Option<Response> {
    r.seen
        .push((uri.path().to_string(), pairs(uri.query().unwrap_or(""))));
    let bearer = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(String::from);
    if !bearer.is_some_and(|b| r.valid.contains(&b)) {
        return Some((StatusCode::UNAUTHORIZED, Json(json!({"error": {"code": "Unauthorized", "message": "Authorization token is not valid", "target": "00000000"}}))).into_response());
    }
    if r.throttle > 0 {
        r.throttle -= 1;
        return Some((StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], Json(json!({"error": {"code": "TooManyRequests", "message": "Rate limit is exceeded. Try again in 1 seconds.", "target": "0000"}}))).into_response());
    }
    None
}

async fn export(State(s): State<Shared>, uri: Uri, h: HeaderMap) -> Response {
    let mut r = s.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    let q = pairs(uri.query().unwrap_or(""));
    let page = if q.contains_key("$skiptoken") {
        "export-page-2.json"
    } else {
        "export-page-1.json"
    };
    Json(corpus(page, &r.base)).into_response()
}

async fn changes(State(s): State<Shared>, uri: Uri, h: HeaderMap) -> Response {
    let mut r = s.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    Json(corpus("changes.json", &r.base)).into_response()
}

fn replay() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route(
            "/api/machines/SoftwareVulnerabilitiesByMachine",
            get(export),
        )
        .route(
            "/api/machines/SoftwareVulnerabilityChangesByMachine",
            get(changes),
        )
        .with_state(shared.clone());
    let base = replay::serve(app);
    shared.lock().unwrap().base = base.clone();
    (base, shared)
}

fn keys() -> Keys {
    Keys {
        access_key: CLIENT.into(),
        secret_key: SECRET.into(),
    }
}

fn status_of(ws: &Workspace, cve: &str) -> String {
    ws.conn()
        .query_row(
            "SELECT f.status FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id = ?1",
            [cve],
            |r| r.get(0),
        )
        .unwrap()
}

/// A workspace with a Defender source whose sign-in is the replay server's too.
fn with_source(dir: &std::path::Path) -> (SetClock, Workspace, Shared) {
    let (clock, mut ws) = replay::workspace(dir);
    let (base, server) = replay();
    sources::add(
        &mut ws,
        "defender",
        "Defender",
        &format!("{base}/?tenant={TENANT}&login={base}"),
    )
    .unwrap();
    (clock, ws, server)
}

#[test]
fn a_first_sync_reads_the_whole_export_and_a_later_one_the_changes_since() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    server.lock().unwrap().throttle = 1;
    let steps = Mutex::new(Vec::new());
    let first = sources::sync(
        &mut ws,
        "Defender",
        &keys(),
        false,
        &replay::quick(),
        &|s| steps.lock().unwrap().push(s),
    )
    .unwrap();
    assert_eq!(
        (first.chunks, first.findings, first.new),
        (2, 3, 3),
        "{first:?}"
    );
    assert!(
        steps
            .lock()
            .unwrap()
            .iter()
            .any(|s| matches!(s, Step::RateLimited { wait } if *wait == Duration::from_secs(1))),
        "the 429's Retry-After was waited for"
    );
    {
        let r = server.lock().unwrap();
        // One token for the whole sync, asked as documented.
        assert_eq!(r.signins.len(), 1);
        let s = &r.signins[0];
        assert_eq!(s["grant_type"], "client_credentials");
        assert_eq!(s["scope"], format!("{}/.default", r.base));
        let paths: Vec<&str> = r.seen.iter().map(|s| s.0.as_str()).collect();
        assert!(
            paths
                .iter()
                .all(|p| *p == "/api/machines/SoftwareVulnerabilitiesByMachine"),
            "{paths:?}"
        );
        assert_eq!(r.seen[1].1["pageSize"], "50000");
        assert!(
            r.seen[2].1.contains_key("$skiptoken"),
            "the nextLink was followed"
        );
    }
    assert_eq!(status_of(&ws, "CVE-2024-0519"), "open");

    server.lock().unwrap().seen.clear();
    clock.advance(chrono::Duration::days(2));
    let later = sources::sync(
        &mut ws,
        "Defender",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    assert_eq!((later.closed, later.new), (1, 1), "{later:?}");
    assert_eq!(status_of(&ws, "CVE-2024-0519"), "fixed");
    assert_eq!(status_of(&ws, "CVE-2024-30078"), "open");
    let r = server.lock().unwrap();
    assert_eq!(r.seen.len(), 1);
    assert_eq!(
        r.seen[0].0,
        "/api/machines/SoftwareVulnerabilityChangesByMachine"
    );
    // Since the first sync started (06:00 on 1 December), less an hour.
    assert_eq!(r.seen[0].1["sinceTime"], "2026-12-01T05:00:00.000Z");
    drop(r);

    // Three weeks later the changes Defender keeps (14 days) no longer reach: the whole export.
    server.lock().unwrap().seen.clear();
    clock.advance(chrono::Duration::days(21));
    sources::sync(
        &mut ws,
        "Defender",
        &keys(),
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap();
    let r = server.lock().unwrap();
    assert!(
        r.seen
            .iter()
            .all(|s| s.0 == "/api/machines/SoftwareVulnerabilitiesByMachine"),
        "{:?}",
        r.seen
    );
    drop(r);

    drop(ws);
    replay::assert_nowhere(dir.path(), SECRET);
}

#[test]
fn a_token_revoked_midway_is_asked_for_again_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    // The first page is served, then every token so far stops being taken.
    let revoke = Arc::clone(&server);
    let r = sources::sync(
        &mut ws,
        "Defender",
        &keys(),
        false,
        &replay::quick(),
        &move |s| {
            if matches!(s, Step::Landed { pages: 1, .. }) {
                revoke.lock().unwrap().valid.clear();
            }
        },
    )
    .unwrap();
    assert_eq!(r.chunks, 2, "{r:?}");
    assert_eq!(
        server.lock().unwrap().signins.len(),
        2,
        "a new token after the 401"
    );
}

#[test]
fn a_refused_sign_in_and_an_address_without_a_tenant_are_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    let wrong = Keys {
        access_key: CLIENT.into(),
        secret_key: "not-the-secret".into(),
    };
    let e = sources::check(&ws, "Defender", &wrong, &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("client secret is not accepted (401") && e.contains("AADSTS7000215"),
        "{e}"
    );
    assert!(
        !e.contains("not-the-secret") && !e.contains("Trace ID"),
        "{e}"
    );
    let e = sources::sync(
        &mut ws,
        "Defender",
        &wrong,
        false,
        &replay::quick(),
        &|_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("AADSTS7000215"), "{e}");
    assert!(
        server.lock().unwrap().seen.is_empty(),
        "no API call without a token"
    );
    sources::check(&ws, "Defender", &keys(), &replay::quick()).unwrap();

    let base = server.lock().unwrap().base.clone();
    sources::add(&mut ws, "defender", "No tenant", &base).unwrap();
    let e = sources::check(&ws, "No tenant", &keys(), &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(e.contains("?tenant="), "{e}");
}

#[test]
fn a_defender_source_takes_no_scope() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, _server) = with_source(dir.path());
    let e = sources::set_scope(&mut ws, "Defender", Some("Servers"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("takes no scope"), "{e}");
    assert_eq!(sources::get(&ws, "Defender").unwrap().scope, None);
}
