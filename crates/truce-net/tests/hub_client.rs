//! The laptop's hub client against a scripted hub on loopback: a busy hub (429 with
//! `Retry-After`) is waited for a bounded number of times, and an answer that would make a
//! laptop ask for ever is refused. The real hub is tested in `crates/truce-hub/tests/hub.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use truce_sync::Op;

/// A hub that answers each connection with the next of `answers` (whole HTTP responses), and
/// counts the requests it read.
fn scripted(answers: Vec<String>) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for answer in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            *count.lock().unwrap() += 1;
            let mut stream = reader.into_inner();
            let _ = stream
                .write_all(answer.as_bytes())
                .and_then(|_| stream.flush());
        }
    });
    (base, seen)
}

fn http(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
}

fn busy() -> String {
    http(
        "429 Too Many Requests",
        "Retry-After: 1\r\n",
        r#"{"code":"too_many_requests","message":"this device asks too often; try again in 1 s"}"#,
    )
}

fn one_op() -> Vec<Op> {
    vec![Op {
        device: "laptop-a".into(),
        hlc: 1 << 16,
        actor: "person-a".into(),
        entity: "work_item".into(),
        entity_id: "item-1".into(),
        field: "title".into(),
        old_value: serde_json::Value::Null,
        new_value: "x".into(),
        at: "2026-12-05T10:00:00.000Z".into(),
        reason: None,
    }]
}

#[test]
fn a_busy_hub_is_asked_again_after_the_wait_it_names() {
    let (base, seen) = scripted(vec![
        busy(),
        http("200 OK", "", r#"{"accepted":1,"duplicates":0}"#),
    ]);
    let started = Instant::now();
    let pushed = truce_net::hub::push(&base, "t0ken", "ws-1", &one_op()).unwrap();
    assert_eq!((pushed.accepted, pushed.duplicates), (1, 0));
    assert_eq!(*seen.lock().unwrap(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as told"
    );
}

#[test]
fn a_hub_that_stays_busy_is_reported_after_three_more_tries() {
    let (base, seen) = scripted(vec![busy(), busy(), busy(), busy(), busy()]);
    let e = truce_net::hub::push(&base, "t0ken", "ws-1", &one_op()).unwrap_err();
    assert_eq!(*seen.lock().unwrap(), 4, "the first ask and three more");
    assert!(e.problem.contains("429"), "{e}");
    assert!(e.problem.contains("asks too often"), "{e}");
    assert!(!e.to_string().contains("t0ken"), "{e}");
}

#[test]
fn a_page_that_goes_back_before_the_cursor_is_refused() {
    let (base, _) = scripted(vec![http(
        "200 OK",
        "",
        r#"{"ops":[{"seq":3,"device":"d","hlc":65536,"actor":"a","entity":"work_item","entity_id":"i","field":"title","old_value":null,"new_value":"x","at":"2026-12-05T10:00:00.000Z","reason":null}],"next":3}"#,
    )]);
    let e = truce_net::hub::pull(&base, "t0ken", "ws-1", 5, 100).unwrap_err();
    assert!(e.problem.contains("at or before 5"), "{e}");
}
