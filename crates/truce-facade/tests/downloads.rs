//! A calendar URL is downloaded before the workspace is taken (`commands::prepare`): the person
//! sees its progress and can cancel it, and a slow server holds up no other command (issue 18:
//! "bound the whole transfer, show progress, allow cancel"). Loopback servers only.

#[path = "../../truce-core/tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use truce_facade::commands::{dispatch, prepare, Progress, Watch};

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Truce tests//EN\r\nBEGIN:VEVENT\r\nUID:patch-night@example.com\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261208T210000Z\r\nDTEND:20261209T010000Z\r\nSUMMARY:Patch night\r\nRRULE:FREQ=WEEKLY;BYDAY=TU\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

/// Answers one request: the headers (announcing `announced` bytes), then `body` a piece at a
/// time `pause` apart, then waits `linger` (a silent server) before closing.
fn serve_once(
    announced: usize,
    body: &'static [u8],
    piece: usize,
    pause: Duration,
    linger: Duration,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = s.read(&mut request);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {announced}\r\n\r\n"
        );
        let _ = s.write_all(head.as_bytes()).and_then(|_| s.flush());
        for part in body.chunks(piece) {
            std::thread::sleep(pause);
            if s.write_all(part).and_then(|_| s.flush()).is_err() {
                return;
            }
        }
        std::thread::sleep(linger);
    });
    format!("http://127.0.0.1:{port}/ops.ics")
}

fn windows(ws: &truce_core::Workspace) -> i64 {
    common::scalar(ws, "SELECT count(*) FROM change_windows")
}

#[test]
fn a_feed_is_downloaded_with_progress_then_imported_under_its_url() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let url = serve_once(
        FEED.len(),
        FEED.as_bytes(),
        100,
        Duration::from_millis(50),
        Duration::ZERO,
    );
    let seen: Mutex<Vec<Progress>> = Mutex::new(Vec::new());
    let never = AtomicBool::new(false);
    let watch = Watch {
        progress: &|p| seen.lock().unwrap().push(p),
        cancel: &never,
    };
    let args = prepare(
        "import_windows",
        json!({"source": url, "kind": null}),
        &watch,
    )
    .unwrap();
    assert_eq!(args["content"], FEED);
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 3, "{seen:?}");
    assert_eq!(seen.last().unwrap().received, FEED.len() as u64);
    assert!(seen.iter().all(|p| p.total == Some(FEED.len() as u64)));
    let report = dispatch(&mut ws, "import_windows", args).unwrap();
    assert_eq!(report["created"], 1, "{report}");
    assert_eq!(report["source"], url);
    assert_eq!(
        common::text(&ws, "SELECT name || ' ' || source FROM change_windows"),
        format!("Patch night {url}")
    );
}

#[test]
fn a_cancelled_download_ends_at_once_and_changes_nothing_while_the_workspace_stays_free() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // The headers, 40 bytes of the feed, then silence for 30 s.
    let url = serve_once(
        FEED.len(),
        &FEED.as_bytes()[..40],
        10,
        Duration::from_millis(20),
        Duration::from_secs(30),
    );
    let cancel = AtomicBool::new(false);
    let received = Mutex::new(0u64);
    let started = Instant::now();
    let answer = std::thread::scope(|scope| {
        let download = scope.spawn(|| {
            prepare(
                "import_windows",
                json!({"source": url, "kind": null}),
                &Watch {
                    progress: &|p| *received.lock().unwrap() = p.received,
                    cancel: &cancel,
                },
            )
        });
        // Meanwhile the workspace answers other commands: nothing holds it.
        std::thread::sleep(Duration::from_millis(300));
        let created = dispatch(
            &mut ws,
            "save_window",
            json!({"id": null, "spec": {"name": "Saturday", "kind": "maintenance", "time_zone": "UTC",
                    "starts_local": "2026-12-12T08:00:00", "duration_min": 60,
                    "rrule": "FREQ=WEEKLY;BYDAY=SA"}}),
        );
        assert!(created.is_ok(), "{created:?}");
        cancel.store(true, Ordering::Relaxed);
        download.join().unwrap()
    });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let e = answer.unwrap_err();
    assert_eq!(e.code, "cancelled", "{e:?}");
    assert_eq!(e.facts["source"], url);
    assert!(
        e.message.contains("cancelled; nothing was changed"),
        "{}",
        e.message
    );
    assert_eq!(
        *received.lock().unwrap(),
        40,
        "the bytes that had arrived were reported"
    );
    assert_eq!(windows(&ws), 1, "only the window made meanwhile");
}

#[test]
fn a_feed_that_is_not_utf8_is_refused_naming_the_url_and_the_byte() {
    let url = serve_once(
        19,
        b"BEGIN:VCALENDAR\r\n\xff\xfe",
        64,
        Duration::ZERO,
        Duration::ZERO,
    );
    let never = AtomicBool::new(false);
    let e = prepare(
        "import_windows",
        json!({"source": url, "kind": null}),
        &Watch {
            progress: &|_| {},
            cancel: &never,
        },
    )
    .unwrap_err();
    assert_eq!(e.code, "bad_input");
    assert_eq!(e.facts["file"], url);
    assert_eq!(e.facts["position"], "byte 17");
}
