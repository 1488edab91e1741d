//! Syncing from Qualys VMDR against a replay server on 127.0.0.1 that answers as Qualys's API v2
//! documents: the Host List Detection answer truncated with a WARNING (code 1980) whose URL is the
//! next page, the KnowledgeBase for the QIDs asked, basic auth and the required X-Requested-With
//! header, 409 with X-RateLimit-ToWait-Sec, a SIMPLE_RETURN error under 200 (an expired account).
//! Its answers are tests/corpus/scans/qualys/vmdr-api's; what lands is what importing them lands
//! (tests/format_qualys_detections.rs). The requests Truce sends are checked too.

mod common;
#[path = "common/replay.rs"]
mod replay;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use truce_core::clock::SetClock;
use truce_core::sources::{self, Keys, Step};
use truce_core::Workspace;

const USER: &str = "acme_ja";
const PASSWORD: &str = "Qu4lys-never-stored";

/// A request as heard: path, query, whether it carried X-Requested-With, its Authorization.
type Heard = (String, HashMap<String, String>, bool, Option<String>);

#[derive(Default)]
struct Replay {
    base: String,
    /// Every request: path, query, whether it carried X-Requested-With, its Authorization.
    seen: Vec<Heard>,
    /// Answers 409 with X-RateLimit-ToWait-Sec this many times, waiting so long.
    throttle: u32,
    to_wait: u64,
    /// Answers 200 with a SIMPLE_RETURN: the account expired.
    expired: bool,
    /// The first page's WARNING points at another host.
    foreign_next: bool,
    /// Pages (by id_min) answered 500 until cleared.
    broken: Vec<String>,
}

type Shared = Arc<Mutex<Replay>>;

fn corpus(name: &str) -> String {
    std::fs::read_to_string(common::corpus(&format!("qualys/vmdr-api/{name}"))).unwrap()
}

fn simple_return(code: u32, text: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE SIMPLE_RETURN SYSTEM \"https://qualysapi.qualys.com/api/2.0/simple_return.dtd\">\n<SIMPLE_RETURN><RESPONSE><DATETIME>2026-12-01T06:00:00Z</DATETIME><CODE>{code}</CODE><TEXT>{text}</TEXT></RESPONSE></SIMPLE_RETURN>"
    )
}

fn xml(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "text/xml;charset=UTF-8")], body).into_response()
}

/// Notes the request; refuses one without X-Requested-With (400) or the credentials (401), as
/// Qualys does.
fn heard(r: &mut Replay, uri: &Uri, h: &HeaderMap) -> Option<Response> {
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let with = h.contains_key("x-requested-with");
    r.seen.push((
        uri.path().to_string(),
        replay::query(uri),
        with,
        auth.clone(),
    ));
    if !with {
        return Some(xml(
            StatusCode::BAD_REQUEST,
            simple_return(1921, "Missing required X-Requested-With header."),
        ));
    }
    let expected = replay::basic(USER, PASSWORD);
    if auth.as_deref() != Some(expected.as_str()) {
        return Some(xml(
            StatusCode::UNAUTHORIZED,
            simple_return(2000, "Bad Login/Password"),
        ));
    }
    if r.throttle > 0 {
        r.throttle -= 1;
        return Some(
            (
                StatusCode::CONFLICT,
                [
                    ("content-type", "text/xml".to_string()),
                    ("x-ratelimit-limit", "300".to_string()),
                    ("x-ratelimit-remaining", "0".to_string()),
                    ("x-ratelimit-towait-sec", r.to_wait.to_string()),
                ],
                simple_return(
                    1965,
                    "This API cannot be run again until the rate limit window resets.",
                ),
            )
                .into_response(),
        );
    }
    None
}

async fn detections(State(shared): State<Shared>, uri: Uri, h: HeaderMap) -> Response {
    let mut r = shared.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    if r.expired {
        return xml(
            StatusCode::OK,
            simple_return(2001, "This account has expired."),
        );
    }
    let q = replay::query(&uri);
    let id_min = q.get("id_min").cloned().unwrap_or_default();
    if r.broken.contains(&id_min) {
        return xml(
            StatusCode::INTERNAL_SERVER_ERROR,
            simple_return(999, "Internal error."),
        );
    }
    let answer = if q.get("truncation_limit").map(String::as_str) == Some("1")
        && !q.contains_key("status")
    {
        // The connection test.
        corpus("detections-2.xml")
    } else if q.contains_key("detection_updated_since") {
        corpus("detections-later.xml")
    } else if id_min == "5641288" {
        corpus("detections-2.xml")
    } else {
        corpus("detections-1.xml")
    };
    let next = if r.foreign_next {
        "https://elsewhere.example".to_string()
    } else {
        r.base.clone()
    };
    xml(
        StatusCode::OK,
        answer.replace(
            "https://qualysapi.qualys.com/api/2.0/fo",
            &format!("{next}/api/2.0/fo"),
        ),
    )
}

async fn knowledge_base(State(shared): State<Shared>, uri: Uri, h: HeaderMap) -> Response {
    let mut r = shared.lock().unwrap();
    if let Some(refused) = heard(&mut r, &uri, &h) {
        return refused;
    }
    let q = replay::query(&uri);
    let ids: Vec<String> = q
        .get("ids")
        .map(|i| i.split(',').map(String::from).collect())
        .unwrap_or_default();
    // The corpus's answer, with only the VULNs asked for.
    let all = corpus("knowledge-base.xml");
    let (head, rest) = all.split_at(all.find("<VULN>").unwrap());
    let tail = &rest[rest.rfind("</VULN>").unwrap() + "</VULN>".len()..];
    let mut body = head.to_string();
    for v in rest.split("<VULN>").skip(1) {
        let v = &v[..v.find("</VULN>").unwrap() + "</VULN>".len()];
        let qid = &v[v.find("<QID>").unwrap() + 5..v.find("</QID>").unwrap()];
        if ids.iter().any(|i| i == qid) {
            body.push_str("<VULN>");
            body.push_str(v);
        }
    }
    body.push_str(tail);
    xml(StatusCode::OK, body)
}

fn replay() -> (String, Shared) {
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/api/2.0/fo/asset/host/vm/detection/", get(detections))
        .route("/api/2.0/fo/knowledge_base/vuln/", get(knowledge_base))
        .with_state(shared.clone());
    let base = replay::serve(app);
    shared.lock().unwrap().base = base.clone();
    (base, shared)
}

fn keys() -> Keys {
    Keys {
        access_key: USER.into(),
        secret_key: PASSWORD.into(),
    }
}

fn status_of(ws: &Workspace, host: &str, qid: &str) -> String {
    ws.conn()
        .query_row(
            "SELECT f.status FROM findings f
             JOIN vulnerabilities v ON v.id = f.vulnerability_id
             JOIN asset_identifiers i ON i.asset_id = f.asset_id
             WHERE i.value = ?1 AND v.scanner_id = ?2",
            [host, qid],
            |r| r.get(0),
        )
        .unwrap()
}

fn with_source(dir: &std::path::Path) -> (SetClock, Workspace, Shared) {
    let (clock, mut ws) = replay::workspace(dir);
    let (base, server) = replay();
    sources::add(&mut ws, "qualys-vmdr", "Qualys", &base).unwrap();
    (clock, ws, server)
}

#[test]
fn a_first_sync_follows_the_truncation_warning_and_a_later_one_asks_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (clock, mut ws, server) = with_source(dir.path());
    {
        let mut r = server.lock().unwrap();
        r.throttle = 1;
        r.to_wait = 1;
    }
    let steps = Mutex::new(Vec::new());
    let first = sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|s| {
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
            .any(|s| matches!(s, Step::RateLimited { wait } if *wait == Duration::from_secs(2))),
        "the 409 was waited for (1 s asked, 2 s at least): {:?}",
        steps.lock().unwrap()
    );
    assert_eq!(status_of(&ws, "win2016", "105943"), "open");
    assert_eq!(status_of(&ws, "win2016", "38173"), "fixed");
    assert_eq!(status_of(&ws, "web02", "11827"), "open");
    let title: String = ws
        .conn()
        .query_row(
            "SELECT title FROM vulnerabilities WHERE scanner_id = '11827'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        title,
        "Apache HTTP Server 2.4.49 Path Traversal and Remote Code Execution"
    );
    {
        let r = server.lock().unwrap();
        assert!(
            r.seen.iter().all(|s| s.2),
            "every call carries X-Requested-With"
        );
        let pages: Vec<&HashMap<String, String>> = r
            .seen
            .iter()
            .filter(|s| s.0.ends_with("/detection/"))
            .map(|s| &s.1)
            .collect();
        // Throttled once, then the first page and the one its WARNING named.
        assert_eq!(pages.len(), 3, "{pages:?}");
        assert_eq!(pages[1]["status"], "New,Active,Re-Opened,Fixed");
        assert_eq!(
            pages[1].get("detection_updated_since"),
            None,
            "the first sync asks for all"
        );
        assert_eq!(pages[2]["id_min"], "5641288");
        // The KnowledgeBase is asked once per page, for the QIDs not yet known.
        let kb: Vec<&str> = r
            .seen
            .iter()
            .filter(|s| s.0.ends_with("/vuln/"))
            .map(|s| s.1["ids"].as_str())
            .collect();
        assert_eq!(kb, ["105943,38173,45038", "11827"]);
    }

    server.lock().unwrap().seen.clear();
    clock.advance(chrono::Duration::days(2));
    let later =
        sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    assert_eq!((later.closed, later.reopened), (1, 1), "{later:?}");
    assert_eq!(status_of(&ws, "win2016", "105943"), "fixed");
    assert_eq!(status_of(&ws, "win2016", "38173"), "open");
    let r = server.lock().unwrap();
    let since = &r
        .seen
        .iter()
        .find(|s| s.0.ends_with("/detection/"))
        .unwrap()
        .1;
    // Qualys's own time of the first page (06:00:05), less an hour.
    assert_eq!(since["detection_updated_since"], "2026-12-01T05:00:05Z");
    drop(r);

    drop(ws);
    replay::assert_nowhere(dir.path(), PASSWORD);
}

#[test]
fn a_sync_that_fails_on_its_second_page_resumes_there() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    server.lock().unwrap().broken = vec!["5641288".into()];
    let e = sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("500") && e.contains("id_min=5641288"), "{e}");
    assert!(!e.contains(PASSWORD), "{e}");
    assert_eq!(
        status_of(&ws, "win2016", "105943"),
        "open",
        "the first page stays"
    );
    {
        let mut r = server.lock().unwrap();
        r.broken.clear();
        r.seen.clear();
    }
    let resumed =
        sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    assert!(resumed.resumed);
    assert_eq!(resumed.chunks, 1);
    let r = server.lock().unwrap();
    let pages: Vec<&HashMap<String, String>> = r
        .seen
        .iter()
        .filter(|s| s.0.ends_with("/detection/"))
        .map(|s| &s.1)
        .collect();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["id_min"], "5641288");
}

#[test]
fn refusals_are_said_in_qualys_words_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    let before = common::dump(&ws);
    let findings = |ws: &Workspace| -> i64 {
        ws.conn()
            .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
            .unwrap()
    };
    let wrong = Keys {
        access_key: USER.into(),
        secret_key: "not-it".into(),
    };
    let e = sources::check(&ws, "Qualys", &wrong, &replay::quick())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("(401)") && e.contains("Bad Login/Password"),
        "{e}"
    );
    assert!(!e.contains("not-it"), "{e}");
    sources::check(&ws, "Qualys", &keys(), &replay::quick()).unwrap();

    server.lock().unwrap().expired = true;
    let e = sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2001") && e.contains("This account has expired."),
        "{e}"
    );
    server.lock().unwrap().expired = false;

    // A wait of a day is not waited out in a sync: said at once.
    {
        let mut r = server.lock().unwrap();
        r.throttle = 1;
        r.to_wait = 86_274;
    }
    let started = std::time::Instant::now();
    let e = sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("asks to wait 23 h 57 min"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // A next page on another host: the credentials do not follow it.
    server.lock().unwrap().foreign_next = true;
    let e = sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("https://elsewhere.example") && e.contains("not followed"),
        "{e}"
    );
    assert!(
        !server
            .lock()
            .unwrap()
            .seen
            .iter()
            .any(|s| s.1.contains_key("id_min")),
        "no request went on"
    );
    assert_eq!(
        findings(&ws),
        0,
        "the page with a foreign next is not imported"
    );
    assert_eq!(
        replay::without_sources(&common::dump(&ws)),
        replay::without_sources(&before)
    );
}

#[test]
fn a_scope_of_asset_groups_is_asked_for_and_anything_else_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_clock, mut ws, server) = with_source(dir.path());
    let e = sources::set_scope(&mut ws, "Qualys", Some("Paris servers"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a list of ids"), "{e}");
    sources::set_scope(&mut ws, "Qualys", Some("1234,5678")).unwrap();
    sources::sync(&mut ws, "Qualys", &keys(), false, &replay::quick(), &|_| {}).unwrap();
    let r = server.lock().unwrap();
    let first = r
        .seen
        .iter()
        .find(|s| s.0.ends_with("/detection/"))
        .unwrap();
    assert_eq!(first.1["ag_ids"], "1234,5678");
}
