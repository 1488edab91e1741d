//! `truce windows ...`, run as a script would run it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn truce(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
        .output()
        .expect("truce runs")
}

fn calendars(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/calendars")
        .join(rel)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn windows_subcommands_have_help() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["import", "list", "add", "occurrences"] {
        let text = ok(&truce(
            &dir.path().join("w.truce"),
            &["windows", sub, "--help"],
        ));
        assert!(text.contains("Usage: truce windows"), "{sub}: {text}");
    }
}

#[test]
fn add_then_occurrences_across_dst() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let out = ok(&truce(
        &ws,
        &[
            "windows",
            "add",
            "--name",
            "Patch night",
            "--zone",
            "Europe/Berlin",
            "--start",
            "2026-03-24T22:00",
            "--duration",
            "4h",
            "--rrule",
            "FREQ=WEEKLY;BYDAY=TU",
            "--env",
            "prod",
            "--env",
            "qa",
            "--max-items",
            "5",
            "--tag",
            "web",
        ],
    ));
    assert!(
        out.contains("added maintenance window 'Patch night'"),
        "{out}"
    );
    let text = ok(&truce(
        &ws,
        &[
            "windows",
            "occurrences",
            "--from",
            "2026-03-20",
            "--to",
            "2026-04-05",
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let o = v.as_array().unwrap();
    assert_eq!(o.len(), 2);
    // 22:00 Berlin is 21:00Z before the change to summer time (29 March), 20:00Z after.
    assert_eq!(o[0]["start_utc"], "2026-03-24T21:00:00Z");
    assert_eq!(o[0]["start_zoned"], "2026-03-24T22:00:00+01:00");
    assert_eq!(o[1]["start_utc"], "2026-03-31T20:00:00Z");
    assert_eq!(o[1]["end_zoned"], "2026-04-01T02:00:00+02:00");
    assert_eq!(o[1]["kind"], "maintenance");
    assert_eq!(o[1]["window_name"], "Patch night");
    assert_eq!(o[1]["environments"], serde_json::json!(["prod", "qa"]));
    assert_eq!(o[1]["asset_tags"], serde_json::json!(["web"]));
    assert!(o[1]["window_id"].as_str().unwrap().len() > 10);
    let plain = ok(&truce(
        &ws,
        &[
            "windows",
            "occurrences",
            "--from",
            "2026-03-20",
            "--to",
            "2026-04-05",
        ],
    ));
    assert!(
        plain.contains("2026-03-31T20:00Z")
            && plain.contains("+02:00")
            && plain.contains("Patch night"),
        "{plain}"
    );
    let list = ok(&truce(&ws, &["windows", "list"]));
    assert!(
        list.contains("FREQ=WEEKLY;BYDAY=TU") && list.contains("240 min"),
        "{list}"
    );

    let bad = truce(
        &ws,
        &[
            "windows",
            "add",
            "--name",
            "x",
            "--zone",
            "Europe/Berlin",
            "--start",
            "2026-03-24T22:00",
            "--duration",
            "4 hours",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("duration '4 hours'"));
}

#[test]
fn import_twice_does_not_duplicate_and_kind_can_be_forced() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let file = calendars("recurring_ical_events/each_week_but_two_deleted.ics");
    let f = file.to_str().unwrap();
    let first = ok(&truce(&ws, &["windows", "import", f]));
    assert!(
        first.contains("1 created, 0 updated, 0 removed, 0 unchanged"),
        "{first}"
    );
    let again: serde_json::Value =
        serde_json::from_str(&ok(&truce(&ws, &["windows", "import", f, "--json"]))).unwrap();
    assert_eq!(
        (again["created"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(1))
    );
    let forced = ok(&truce(&ws, &["windows", "import", f, "--kind", "blackout"]));
    assert!(forced.contains("1 updated"), "{forced}");
    let list: serde_json::Value =
        serde_json::from_str(&ok(&truce(&ws, &["windows", "list", "--json"]))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["kind"], "blackout");
    let o: serde_json::Value = serde_json::from_str(&ok(&truce(
        &ws,
        &[
            "windows",
            "occurrences",
            "--from",
            "2019-01-01",
            "--to",
            "2020-01-01",
            "--json",
        ],
    )))
    .unwrap();
    assert_eq!(o.as_array().unwrap().len(), 6);

    let bad = truce(&ws, &["windows", "import", f, "--kind", "holiday"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--kind 'holiday'"));
}

#[test]
fn import_from_a_url_and_a_missing_one() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let body = std::fs::read_to_string(calendars("icaljs/rdate_exdate.ics")).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let (status, text) = if req.starts_with("GET /cal.ics ") {
                ("200 OK", body.as_str())
            } else {
                ("404 Not Found", "no")
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let out = ok(&truce(
        &ws,
        &["windows", "import", &format!("http://{addr}/cal.ics")],
    ));
    assert!(out.contains("1 created"), "{out}");
    let missing = truce(
        &ws,
        &["windows", "import", &format!("http://{addr}/nope.ics")],
    );
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("404") && err.contains("nope.ics"), "{err}");
}
