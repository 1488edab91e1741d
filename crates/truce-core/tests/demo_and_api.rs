//! The demo workspace and the read models the UI and CLI share.

mod common;

use truce_core::model::{FindingsQuery, Severity};
use truce_core::{api, demo, Workspace};

#[test]
fn the_demo_holds_the_embedded_reports_windows_and_items() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.truce");
    demo::create_demo(&path, truce_core::clock::system()).unwrap();
    // Writing it again replaces it rather than adding to it.
    demo::create_demo(&path, truce_core::clock::system()).unwrap();
    let ws = Workspace::open_existing(&path).unwrap();
    let c = api::counts(&ws).unwrap();
    // 7 hosts (nessus_v_unknown) + preprod.boardvantage.net + testphp.vulnweb.com; 296 + 7 + 48 findings.
    assert_eq!(c.assets, 9);
    assert_eq!(c.findings, 351);
    assert_eq!(c.imports, 3);
    assert_eq!(c.change_windows, 3);
    assert_eq!(
        (c.open_by_severity.critical, c.open_by_severity.high),
        (1, 10)
    );
    // The planning engine groups the 55 non-info findings (read from the reports: 1 critical,
    // 10 high, 36 medium, 8 low) by fix x team x environment: on the 7 qa hosts 4 solutions
    // found on all 7 hosts and one (NLA) on 2 -> 5 items; on testphp.vulnweb.com (prod) 26
    // findings with 25 distinct solutions, 21 of which upgrade PHP (to 5.2.0 ... 7.3.28, or "to a
    // version of PHP that is currently supported") -> one PHP upgrade and 4 others, 5 items.
    // Info findings are not planned.
    assert_eq!(c.work_items, 10);
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM work_item_findings"),
        55
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM work_items WHERE ops_owner_id IS NULL OR security_owner_id IS NULL OR approver_id IS NULL"),
        0
    );
    assert_eq!(
        common::texts(
            &ws,
            "SELECT state FROM work_items WHERE state <> 'backlog' ORDER BY state"
        ),
        ["approved", "deferred", "scheduled", "scheduled"]
    );
    let dir_entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        dir_entries
            .iter()
            .all(|n| !n.to_string_lossy().ends_with(".tmp")),
        "no temp file left: {dir_entries:?}"
    );
}

#[test]
fn findings_are_listed_most_severe_first_and_filter_by_severity_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.truce");
    demo::create_demo(&path, truce_core::clock::system()).unwrap();
    let ws = Workspace::open_existing(&path).unwrap();
    let all = api::findings(
        &ws,
        &FindingsQuery {
            offset: 0,
            limit: 50,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(all.total, 351);
    assert_eq!(all.rows.len(), 50);
    assert_eq!(all.rows[0].severity, Severity::Critical);
    assert_eq!(all.rows[0].title, "PHP Unsupported Version Detection");
    let page = api::findings(
        &ws,
        &FindingsQuery {
            offset: 350,
            limit: 50,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(page.rows.len(), 1);
    let high = api::findings(
        &ws,
        &FindingsQuery {
            limit: 100,
            severities: vec![Severity::High],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(high.total, 10);
    assert!(high.rows.iter().all(|r| r.severity == Severity::High));
    let text = api::findings(
        &ws,
        &FindingsQuery {
            limit: 100,
            text: Some("QA3APP04".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(text.total > 0 && text.rows.iter().all(|r| r.asset == "qa3app04"));
    // A LIKE wildcard typed by the user is matched literally.
    let pct = api::findings(
        &ws,
        &FindingsQuery {
            limit: 10,
            text: Some("%".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(pct
        .rows
        .iter()
        .all(|r| r.title.contains('%') || r.asset.contains('%')));
}

/// The demo's plan is placed from the day it is made, through the conflict checks, as a person
/// would place it: made in March 2027, its qa items are on the next two Tuesday patch nights
/// (22:00 in Berlin) and the critical prod item on the next second Sunday (02:00 in New York),
/// not on dates that have passed.
#[test]
fn the_demo_plan_starts_from_the_day_it_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.truce");
    let made = chrono::DateTime::parse_from_rfc3339("2027-03-10T12:00:00Z")
        .unwrap()
        .to_utc();
    demo::create_demo(
        &path,
        std::sync::Arc::new(truce_core::clock::SetClock::at(made)),
    )
    .unwrap();
    let ws = common::open_at(&path, made);
    let placed = common::texts(
        &ws,
        "SELECT w.name || ' ' || i.occurrence_start FROM work_items i JOIN change_windows w ON w.id = i.window_id ORDER BY i.occurrence_start",
    );
    assert_eq!(
        placed,
        [
            // The 14th is the night New York moves its clocks forward: 02:00 does not exist, and
            // RFC 5545 reads such a time with the offset before the gap (EST), 07:00 UTC.
            "Monthly prod web window 2027-03-14T07:00:00.000Z",
            "Weekly Linux patching 2027-03-16T21:00:00.000Z",
            "Weekly Linux patching 2027-03-23T21:00:00.000Z",
        ]
    );
    // Placed by the people the demo names, as the board's drop records it.
    let by = common::texts(
        &ws,
        "SELECT DISTINCT p.name FROM change_log c JOIN people p ON p.id = c.actor
         WHERE c.entity = 'work_item' AND c.field = 'window_id' ORDER BY 1",
    );
    assert_eq!(by, ["Dana Ops", "Wes Web"]);
}
