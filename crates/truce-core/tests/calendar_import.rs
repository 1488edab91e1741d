//! Windows in a workspace: validation, the change log, DST placement, iCalendar re-sync from a
//! file and from a URL (a local server started here; no test touches the internet).

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use truce_core::calendar::{self, ical, WindowKind, WindowSpec};
use truce_core::{Error, Workspace};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn spec(name: &str, zone: &str, start: &str, minutes: u32, rrule: Option<&str>) -> WindowSpec {
    WindowSpec {
        rrule: rrule.map(Into::into),
        environments: Some(vec!["prod".into()]),
        max_items: Some(5),
        ..WindowSpec::new(
            name,
            WindowKind::Maintenance,
            zone,
            calendar::windows::parse_local_text(start).unwrap(),
            minutes,
        )
    }
}

fn log_rows(ws: &Workspace, id: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let mut stmt = ws
        .conn()
        // updated_at changes with every write: left out, as histories leave it out.
        .prepare("SELECT field, CAST(old_value AS TEXT), CAST(new_value AS TEXT) FROM change_log
                  WHERE entity = 'change_window' AND entity_id = ?1 AND field <> 'updated_at' ORDER BY seq")
        .unwrap();
    stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn invalid_specs_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let ws = common::fresh(dir.path());
    let c = ws.conn();
    let e = calendar::create(
        c,
        "me",
        &spec("w", "Mars/Olympus", "2026-01-01T10:00", 60, None),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("Mars/Olympus") && e.contains("IANA"), "{e}");
    let e = calendar::create(c, "me", &spec("w", "UTC", "2026-01-01T10:00", 0, None))
        .unwrap_err()
        .to_string();
    assert!(e.contains("duration"), "{e}");
    let e = calendar::create(
        c,
        "me",
        &spec(
            "w",
            "UTC",
            "2026-01-01T10:00",
            60,
            Some("FREQ=WEEKLY;BYDAY=XX"),
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("window 'w'") && e.contains("XX"), "{e}");
    let e = calendar::create(
        c,
        "me",
        &spec(
            "w",
            "UTC",
            "2026-01-01T10:00",
            60,
            Some("FREQ=YEARLY;BYEASTER=1"),
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("BYEASTER"), "{e}");
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM change_windows"),
        0
    );
}

#[test]
fn create_update_delete_are_logged_with_actor() {
    let dir = tempfile::tempdir().unwrap();
    let ws = common::fresh(dir.path());
    let c = ws.conn();
    let w = calendar::create(
        c,
        "alice",
        &spec(
            "Patch night",
            "Europe/Berlin",
            "2026-03-03T22:00",
            240,
            Some("FREQ=WEEKLY;BYDAY=TU"),
        ),
    )
    .unwrap();
    assert_eq!(w.environments, Some(vec!["prod".to_string()]));
    let created = log_rows(&ws, &w.id);
    // A created row is recorded whole, in one record.
    assert_eq!(created.len(), 1, "{created:?}");
    let row =
        truce_core::changes::named(c, "change_window", created[0].2.as_deref().unwrap()).unwrap();
    assert_eq!(
        (created[0].0.as_str(), &row["rrule"], &row["duration_min"]),
        (
            "created",
            &serde_json::json!("FREQ=WEEKLY;BYDAY=TU"),
            &serde_json::json!(240)
        )
    );
    let mut s = w.spec().unwrap();
    s.duration_min = 180;
    calendar::update(c, "bob", &w.id, &s).unwrap();
    let rows = log_rows(&ws, &w.id);
    assert_eq!(
        rows.len(),
        created.len() + 1,
        "only the changed field is logged"
    );
    assert_eq!(
        rows.last().unwrap(),
        &(
            "duration_min".into(),
            Some("240".into()),
            Some("180".into())
        )
    );
    let actor: String = c
        .query_row(
            "SELECT actor FROM change_log WHERE field = 'duration_min' AND old_value = 240",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(actor, "bob");
    calendar::delete(c, "carol", &w.id).unwrap();
    assert!(calendar::list(c).unwrap().is_empty());
    assert_eq!(log_rows(&ws, &w.id).last().unwrap().0, "deleted");
}

#[test]
fn weekly_window_keeps_wall_time_and_gap_times_move_forward() {
    let dir = tempfile::tempdir().unwrap();
    let ws = common::fresh(dir.path());
    let c = ws.conn();
    let weekly = calendar::create(
        c,
        "me",
        &spec(
            "Tuesday",
            "Europe/Berlin",
            "2019-03-19T22:00",
            120,
            Some("FREQ=WEEKLY;BYDAY=TU"),
        ),
    )
    .unwrap();
    let daily = calendar::create(
        c,
        "me",
        &spec(
            "Gap",
            "Europe/Berlin",
            "2019-03-30T02:30",
            30,
            Some("FREQ=DAILY;COUNT=3"),
        ),
    )
    .unwrap();
    let o =
        calendar::occurrences(c, utc("2019-03-18T00:00:00Z"), utc("2019-04-03T00:00:00Z")).unwrap();
    let view: Vec<(String, String, String)> = o
        .iter()
        .map(|o| {
            (
                o.window_name.clone(),
                o.start_utc.to_rfc3339(),
                o.start_local.format("%m-%d %H:%M").to_string(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            (
                "Tuesday".to_string(),
                "2019-03-19T21:00:00+00:00".to_string(),
                "03-19 22:00".to_string()
            ),
            (
                "Tuesday".into(),
                "2019-03-26T21:00:00+00:00".into(),
                "03-26 22:00".into()
            ),
            (
                "Gap".into(),
                "2019-03-30T01:30:00+00:00".into(),
                "03-30 02:30".into()
            ),
            // 2019-03-31 02:30 does not exist in Berlin: it moves forward by the hour of the gap.
            (
                "Gap".into(),
                "2019-03-31T01:30:00+00:00".into(),
                "03-31 03:30".into()
            ),
            (
                "Gap".into(),
                "2019-04-01T00:30:00+00:00".into(),
                "04-01 02:30".into()
            ),
            (
                "Tuesday".into(),
                "2019-04-02T20:00:00+00:00".into(),
                "04-02 22:00".into()
            ),
        ]
    );
    assert_eq!(o[0].end_local.format("%H:%M").to_string(), "00:00");
    assert_eq!(o[0].max_items, Some(5));
    // Scheduling needs a real occurrence.
    assert!(
        calendar::occurrence_at(c, &weekly.id, utc("2019-03-26T21:00:00Z"))
            .unwrap()
            .is_some()
    );
    assert!(
        calendar::occurrence_at(c, &weekly.id, utc("2019-03-26T22:00:00Z"))
            .unwrap()
            .is_none()
    );
    assert!(
        calendar::occurrence_at(c, &daily.id, utc("2019-04-02T00:30:00Z"))
            .unwrap()
            .is_none(),
        "COUNT=3 ended"
    );
    assert!(
        calendar::occurrence_at(c, "no-such-window", utc("2019-03-26T21:00:00Z"))
            .unwrap()
            .is_none()
    );
    let e = calendar::occurrences(c, utc("2019-04-03T00:00:00Z"), utc("2019-03-01T00:00:00Z"))
        .unwrap_err();
    assert!(e.to_string().contains("after"), "{e}");
}

#[test]
fn an_unbounded_dense_rule_is_refused_when_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let ws = common::fresh(dir.path());
    let c = ws.conn();
    // Refused at the door now (`calendar::bounds`), where it used to be stored and then make
    // every listing of a year fail ("more than 10000 occurrences").
    let e = calendar::create(
        c,
        "me",
        &spec(
            "Every minute",
            "UTC",
            "2026-01-01T00:00",
            1,
            Some("FREQ=MINUTELY"),
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("'Every minute'") && e.contains("every minute"),
        "{e}"
    );
    assert!(calendar::list(c).unwrap().is_empty());
}

const FEED_V1: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Europe/Berlin\r\n\
BEGIN:VEVENT\r\nUID:patch@example\r\nSEQUENCE:1\r\nSUMMARY:Patch night\r\nDTSTART;TZID=Europe/Berlin:20260106T220000\r\nDURATION:PT4H\r\nRRULE:FREQ=WEEKLY;BYDAY=TU\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:freeze@example\r\nSUMMARY:Quarter-end freeze\r\nDTSTART;VALUE=DATE:20260325\r\nDTEND;VALUE=DATE:20260401\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:patch@example\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260113T220000\r\nSUMMARY:Patch night (moved)\r\nDTSTART;TZID=Europe/Berlin:20260114T220000\r\nDURATION:PT4H\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:patch@example\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260120T220000\r\nSTATUS:CANCELLED\r\nDTSTART;TZID=Europe/Berlin:20260120T220000\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

fn v2() -> String {
    // The patch night moves to 23:00 (SEQUENCE 2), the freeze is gone.
    let mut parts = FEED_V1
        .split("BEGIN:VEVENT\r\n")
        .map(str::to_string)
        .collect::<Vec<_>>();
    parts[1] = parts[1]
        .replace("SEQUENCE:1", "SEQUENCE:2")
        .replace("T220000\r\nDURATION", "T230000\r\nDURATION");
    parts.remove(2);
    parts.join("BEGIN:VEVENT\r\n")
}

/// A fresh workspace with FEED_V1 imported from `ops.ics` in `dir` (the file, for re-imports).
fn with_feed_v1(dir: &std::path::Path) -> (Workspace, std::path::PathBuf) {
    let mut ws = common::fresh(dir);
    let file = dir.join("ops.ics");
    std::fs::write(&file, FEED_V1).unwrap();
    ical::import_file(&mut ws, &file, None).unwrap();
    (ws, file)
}

fn window_named(ws: &Workspace, name: &str) -> calendar::ChangeWindow {
    calendar::list(ws.conn())
        .unwrap()
        .into_iter()
        .find(|w| w.name == name)
        .unwrap()
}

/// The item on Tue 27 Jan 2026 21:00Z keeps the patch night from moving to 23:00 Berlin.
fn moving_the_patch_night_an_hour_is_refused(ws: &Workspace, patch: &calendar::ChangeWindow) {
    let mut later = patch.spec().unwrap();
    later.starts_local += chrono::Duration::hours(1);
    let e = calendar::update(ws.conn(), "me", &patch.id, &later)
        .unwrap_err()
        .to_string();
    // Named as people read it: the occurrence in Berlin time (21:00Z is 22:00 CET), the item.
    assert!(
        e.contains("Tue 2026-01-27 22:00 Europe/Berlin (2026-01-27 21:00 UTC): “t”")
            && e.contains("move them first"),
        "{e}"
    );
}

fn names_and_starts(ws: &Workspace) -> Vec<(String, String, WindowKind)> {
    calendar::occurrences(
        ws.conn(),
        utc("2026-01-01T00:00:00Z"),
        utc("2026-04-15T00:00:00Z"),
    )
    .unwrap()
    .into_iter()
    .map(|o| {
        (
            o.window_name,
            o.start_utc.format("%m-%dT%H:%M").to_string(),
            o.kind,
        )
    })
    .collect()
}

#[test]
fn reimporting_a_file_updates_and_removes_instead_of_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let file = dir.path().join("ops.ics");
    std::fs::write(&file, FEED_V1).unwrap();
    let r = ical::import_file(&mut ws, &file, None).unwrap();
    assert_eq!((r.created, r.updated, r.removed, r.unchanged), (3, 0, 0, 0));
    let o = names_and_starts(&ws);
    // 13 Jan moved to the 14th, 20 Jan cancelled.
    assert!(
        o.contains(&(
            "Patch night (moved)".into(),
            "01-14T21:00".into(),
            WindowKind::Maintenance
        )),
        "{o:?}"
    );
    assert!(
        !o.iter()
            .any(|(_, s, _)| s == "01-13T21:00" || s == "01-20T21:00"),
        "{o:?}"
    );
    assert!(
        o.contains(&(
            "Quarter-end freeze".into(),
            "03-24T23:00".into(),
            WindowKind::Blackout
        )),
        "{o:?}"
    );
    let series = calendar::list(ws.conn())
        .unwrap()
        .into_iter()
        .find(|w| w.name == "Patch night")
        .unwrap();
    assert!(
        calendar::occurrence_at(ws.conn(), &series.id, utc("2026-01-06T21:00:00Z"))
            .unwrap()
            .is_some()
    );
    assert!(
        calendar::occurrence_at(ws.conn(), &series.id, utc("2026-01-13T21:00:00Z"))
            .unwrap()
            .is_none(),
        "moved away"
    );
    assert!(
        calendar::occurrence_at(ws.conn(), &series.id, utc("2026-01-20T21:00:00Z"))
            .unwrap()
            .is_none(),
        "cancelled"
    );
    let ids: Vec<String> = calendar::list(ws.conn())
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();

    let again = ical::import_file(&mut ws, &file, None).unwrap();
    assert_eq!(
        (again.created, again.updated, again.removed, again.unchanged),
        (0, 0, 0, 3)
    );

    std::fs::write(&file, v2()).unwrap();
    let r = ical::import_file(&mut ws, &file, None).unwrap();
    assert_eq!((r.created, r.updated, r.removed, r.unchanged), (0, 1, 1, 1));
    let after: Vec<String> = calendar::list(ws.conn())
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert!(
        after.iter().all(|id| ids.contains(id)),
        "windows keep their ids"
    );
    let o = names_and_starts(&ws);
    assert!(
        o.contains(&(
            "Patch night".into(),
            "01-06T22:00".into(),
            WindowKind::Maintenance
        )),
        "{o:?}"
    );
    assert!(!o.iter().any(|(n, _, _)| n.contains("freeze")));

    // An older copy (SEQUENCE 1) does not undo the newer one.
    std::fs::write(&file, FEED_V1).unwrap();
    let r = ical::import_file(&mut ws, &file, None).unwrap();
    assert_eq!((r.created, r.updated), (1, 0), "only the freeze comes back");
}

#[test]
fn a_window_with_scheduled_items_is_kept_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, file) = with_feed_v1(dir.path());
    let freeze = window_named(&ws, "Quarter-end freeze");
    ws.conn()
        .execute_batch(&format!(
            "INSERT INTO people (id, name) VALUES ('p1', 'Pat');
             INSERT INTO work_items (id, title, action, created_at, updated_at) VALUES ('i1', 't', 'a', 'x', 'x');
             INSERT INTO commitments (id, work_item_id, window_id, occurrence_start, committed_by, committed_at, promise)
             VALUES ('c1', 'i1', '{}', '2026-03-24T23:00:00Z', 'p1', 'x', 'done by then');",
            freeze.id
        ))
        .unwrap();
    // An item on the Tuesday 20 Jan 2026 22:00 Berlin patch night (21:00Z), which v2 moves to 23:00.
    let patch = window_named(&ws, "Patch night");
    ws.conn()
        .execute_batch(&format!(
            "INSERT INTO work_items (id, title, action, created_at, updated_at) VALUES ('i2', 't', 'a', 'x', 'x');
             INSERT INTO commitments (id, work_item_id, window_id, occurrence_start, committed_by, committed_at, promise)
             VALUES ('c2', 'i2', '{}', '2026-01-27T21:00:00Z', 'p1', 'x', 'patched');",
            patch.id
        ))
        .unwrap();
    // By hand, moving the series off a scheduled occurrence is refused, and changes nothing.
    let before = common::dump(&ws);
    moving_the_patch_night_an_hour_is_refused(&ws, &patch);
    assert_eq!(common::dump(&ws), before);

    std::fs::write(&file, v2()).unwrap();
    let r = ical::import_file(&mut ws, &file, None).unwrap();
    // The calendar is the truth for what it says: the update happens, and the stranded item is reported.
    assert_eq!(r.updated, 1);
    assert_eq!(
        r.stranded,
        [format!(
            "Patch night ({}) at 2026-01-27T21:00:00Z",
            patch.id
        )]
    );
    assert_eq!(r.removed, 0);
    assert_eq!(
        r.kept_in_use,
        [format!("Quarter-end freeze ({})", freeze.id)]
    );
    assert!(calendar::get(ws.conn(), &freeze.id).unwrap().is_some());
    let e = calendar::delete(ws.conn(), "me", &freeze.id)
        .unwrap_err()
        .to_string();
    assert!(e.contains("scheduled"), "{e}");
}

#[test]
fn a_bad_file_changes_nothing_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let file = dir.path().join("ops.ics");
    std::fs::write(&file, FEED_V1).unwrap();
    ical::import_file(&mut ws, &file, None).unwrap();
    let before = common::dump(&ws);
    let bad = FEED_V1.replace("RRULE:FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=WEEKLY;BYDAY=XY");
    std::fs::write(&file, &bad).unwrap();
    let e = ical::import_file(&mut ws, &file, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ops.ics") && e.contains("line 10") && e.contains("XY"),
        "{e}"
    );
    let unclosed = FEED_V1.replace("END:VCALENDAR\r\n", "");
    std::fs::write(&file, &unclosed).unwrap();
    let e = ical::import_file(&mut ws, &file, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1") && e.contains("never closed"), "{e}");
    let zone = FEED_V1.replace(
        "TZID=Europe/Berlin:20260106",
        "TZID=Nowhere/Special:20260106",
    );
    std::fs::write(&file, &zone).unwrap();
    let e = ical::import_file(&mut ws, &file, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 8") && e.contains("Nowhere/Special"), "{e}");
    assert_eq!(common::dump(&ws), before);

    let e = ical::parse("big.ics", &vec![b' '; ical::MAX_ICS_BYTES + 1], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most 16 MiB"), "{e}");
    let e = ical::parse("page.html", b"<html><body>hello</body></html>", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("page.html") && e.contains("line 1"), "{e}");
}

/// A tiny HTTP server on localhost: GET /feed.ics answers the current feed, /page answers HTML,
/// anything else 404. Runs until the test ends.
fn serve(feed: Arc<Mutex<String>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
            if path == "/huge.ics" {
                // Announces 20 MB (more than the cap) and sends only the start of it.
                let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 20000000\r\n\r\nBEGIN:VCALENDAR\r\n");
                continue;
            }
            let (status, kind, body) = match path.as_str() {
                "/feed.ics" => ("200 OK", "text/calendar", feed.lock().unwrap().clone()),
                "/page" => (
                    "200 OK",
                    "text/html",
                    "<!doctype html><html><body>Login</body></html>".to_string(),
                ),
                _ => ("404 Not Found", "text/plain", "nothing here".to_string()),
            };
            let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_url_feed_resyncs_and_fails_clearly() {
    let feed = Arc::new(Mutex::new(FEED_V1.to_string()));
    let base = serve(feed.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let url = format!("{base}/feed.ics");
    let r = ical::import(&mut ws, &url, None).unwrap();
    assert_eq!((r.created, r.source.as_str()), (3, url.as_str()));
    *feed.lock().unwrap() = v2();
    let r = ical::import(&mut ws, &url, None).unwrap();
    assert_eq!((r.created, r.updated, r.removed, r.unchanged), (0, 1, 1, 1));
    assert_eq!(calendar::list(ws.conn()).unwrap().len(), 2);

    let before = common::dump(&ws);
    let e = ical::import(&mut ws, &format!("{base}/gone.ics"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("404") && e.contains("gone.ics"), "{e}");
    let e = ical::import(&mut ws, &format!("{base}/page"), None).unwrap_err();
    assert!(matches!(e, Error::BadInput { .. }), "{e}");
    assert!(e.to_string().contains("not an iCalendar"), "{e}");
    let e = ical::import(&mut ws, &format!("{base}/huge.ics"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("larger than 16 MiB"), "{e}");
    let e = ical::import_url(&mut ws, "ftp://example.invalid/x.ics", None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("http"), "{e}");
    assert_eq!(common::dump(&ws), before);
}

/// Most items are placed by a drop, with no commitment yet: their window is in use all the same.
/// (`work_items.window_id` is ON DELETE SET NULL: removing it would unschedule them silently.)
#[test]
fn a_window_with_items_scheduled_but_not_committed_is_kept_too() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, file) = with_feed_v1(dir.path());
    let patch = window_named(&ws, "Patch night");
    // An item on the patch night of Tue 27 Jan 2026 (22:00 Berlin = 21:00Z), no commitment.
    ws.conn()
        .execute(
            "INSERT INTO work_items (id, title, action, state, window_id, occurrence_start, created_at, updated_at)
             VALUES ('i1', 't', 'a', 'scheduled', ?1, '2026-01-27T21:00:00Z', 'x', 'x')",
            [&patch.id],
        )
        .unwrap();
    let e = calendar::delete(ws.conn(), "me", &patch.id)
        .unwrap_err()
        .to_string();
    assert!(e.contains("1 item(s) scheduled"), "{e}");
    moving_the_patch_night_an_hour_is_refused(&ws, &patch);
    // The feed drops the patch night (its three events) and keeps only the freeze.
    let freeze_only = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-TIMEZONE:Europe/Berlin\r\n\
BEGIN:VEVENT\r\nUID:freeze@example\r\nSUMMARY:Quarter-end freeze\r\nDTSTART;VALUE=DATE:20260325\r\nDTEND;VALUE=DATE:20260401\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
    std::fs::write(&file, freeze_only).unwrap();
    let r = ical::import_file(&mut ws, &file, None).unwrap();
    // Of the three windows (the series, its moved 14 Jan instance, the freeze), the moved
    // instance holds nothing and goes; the series holds the item and stays.
    assert_eq!((r.removed, r.unchanged), (1, 1));
    assert_eq!(r.kept_in_use, [format!("Patch night ({})", patch.id)]);
    assert_eq!(
        common::text(&ws, "SELECT window_id FROM work_items WHERE id = 'i1'"),
        patch.id
    );
    // Once done, the item keeps its place as a record but no longer holds the window back.
    ws.conn()
        .execute("UPDATE work_items SET state = 'done' WHERE id = 'i1'", [])
        .unwrap();
    let mut later = patch.spec().unwrap();
    later.starts_local += chrono::Duration::hours(1);
    calendar::update(ws.conn(), "me", &patch.id, &later).unwrap();
    assert_eq!(
        calendar::windows::items_on(ws.conn(), &patch.id).unwrap(),
        0
    );
}
