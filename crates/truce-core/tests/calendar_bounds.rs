//! Calendars that would poison the plan (issue 18) are refused at the door, with the file, the
//! place and the problem, and the workspace stays as it was: afterwards a plan, a board load and
//! a year of occurrences answer as usual.

mod common;

use std::fmt::Write;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use truce_core::calendar::{self, bounds};
use truce_core::{Error, Workspace};

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A calendar of `n` events, each with the lines `rule` gives for its number.
fn ics(n: usize, rule: impl Fn(usize) -> String) -> String {
    let mut s = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
    for i in 0..n {
        let _ = write!(
            s,
            "BEGIN:VEVENT\r\nUID:ev-{i}@test\r\nSUMMARY:Window {i}\r\nDTSTART:20270105T210000Z\r\nDTEND:20270105T230000Z\r\n{}END:VEVENT\r\n",
            rule(i)
        );
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

/// A workspace dated 1 Jan 2027 with one ordinary weekly window in it.
fn workspace(dir: &std::path::Path) -> Workspace {
    let path = dir.join("w.truce");
    drop(Workspace::open(&path).unwrap());
    let mut ws = common::open_at(&path, utc("2027-01-01T00:00:00Z"));
    let weekly = ics(1, |_| "RRULE:FREQ=WEEKLY;BYDAY=TU\r\n".into());
    calendar::sync::import_bytes(&mut ws, "weekly.ics", weekly.as_bytes(), None).unwrap();
    ws
}

/// What every later command reads answers, and quickly: a year of occurrences, the board's
/// span, an auto-plan.
fn still_plannable(ws: &mut Workspace) {
    let started = Instant::now();
    let year = calendar::occurrences(
        ws.conn(),
        utc("2027-01-01T00:00:00Z"),
        utc("2028-01-01T00:00:00Z"),
    )
    .unwrap();
    assert_eq!(year.len(), 52, "the weekly window's Tuesdays of 2027");
    let now = ws.now();
    truce_core::scheduling::actions::auto_plan(ws, now, 90, None).unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn refused(ws: &mut Workspace, name: &str, text: &str) -> String {
    let before = common::dump(ws);
    let e = calendar::sync::import_bytes(ws, name, text.as_bytes(), None).unwrap_err();
    assert!(matches!(e, Error::BadInput { .. }), "{e:?}");
    assert_eq!(common::dump(ws), before, "{name}: nothing stored");
    let said = e.to_string();
    assert!(said.starts_with(name), "{said}");
    said
}

#[test]
fn hourly_events_are_refused_with_the_window_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    // 1,000 hourly events made `windows occurrences` take 34 s and 4.6 GB, and auto-plan abort.
    let hourly = ics(1000, |_| "RRULE:FREQ=HOURLY\r\n".into());
    let said = refused(&mut ws, "hourly.ics", &hourly);
    assert!(
        said.contains("Window 0") && said.contains("more than 1000 times a year"),
        "{said}"
    );
    still_plannable(&mut ws);
}

#[test]
fn a_thousand_daily_events_are_refused_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    // Each is a fine window; together 366,000 occurrences a year.
    let daily = ics(1000, |_| "RRULE:FREQ=DAILY\r\n".into());
    let said = refused(&mut ws, "daily.ics", &daily);
    assert!(
        said.contains(&format!(
            "more than {} occurrences",
            bounds::MAX_TOTAL_PER_YEAR
        )),
        "{said}"
    );
    still_plannable(&mut ws);
}

#[test]
fn rules_by_the_second_or_minute_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    for (name, rule, every) in [
        ("secondly.ics", "RRULE:FREQ=SECONDLY\r\n", "every second"),
        (
            "minutely.ics",
            "RRULE:FREQ=MINUTELY;COUNT=5\r\n",
            "every minute",
        ),
        (
            "exrule.ics",
            "RRULE:FREQ=WEEKLY\r\nEXRULE:FREQ=SECONDLY\r\n",
            "every second",
        ),
    ] {
        let said = refused(&mut ws, name, &ics(1, |_| rule.into()));
        assert!(said.contains(every) && said.contains("line "), "{said}");
    }
    still_plannable(&mut ws);
}

#[test]
fn too_many_exdates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    // 300,000 EXDATEs (12.9 MB) made each command take 13-30 s.
    let mut dates = String::new();
    let start = utc("2027-01-05T21:00:00Z");
    for i in 0..300_000i64 {
        let t = start + chrono::Duration::days(7 * (i + 1000));
        let _ = write!(dates, "EXDATE:{}\r\n", t.format("%Y%m%dT%H%M%SZ"));
    }
    let text = ics(1, |_| format!("RRULE:FREQ=WEEKLY\r\n{dates}"));
    let said = refused(&mut ws, "exdates.ics", &text);
    assert!(said.contains("300000 EXDATEs"), "{said}");
    still_plannable(&mut ws);
}

/// A workspace poisoned before these checks (windows written straight into the table) gets an
/// error for a year's listing, not gigabytes.
#[test]
fn a_listing_of_too_many_occurrences_is_an_error_not_gigabytes() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    for i in 0..20 {
        ws.conn()
            .execute(
                "INSERT INTO change_windows (id, name, kind, time_zone, starts_local, duration_min, rrule, created_at, updated_at)
                 VALUES (?1, ?2, 'maintenance', 'UTC', '2027-01-01T00:00:00', 30, 'FREQ=HOURLY', 'x', 'x')",
                [format!("w{i}"), format!("hourly {i}")],
            )
            .unwrap();
    }
    let listed = calendar::occurrences(
        ws.conn(),
        utc("2027-01-01T00:00:00Z"),
        utc("2028-01-01T00:00:00Z"),
    );
    let e = match listed {
        Ok(all) => panic!("{} occurrences listed", all.len()),
        Err(e) => e,
    };
    assert!(
        e.to_string()
            .contains(&format!("more than {} occurrences", bounds::MAX_LISTED)),
        "{e}"
    );
}
