//! Rescans: what a newer scan no longer reports is fixed, what comes back is reopened,
//! older scans imported late change nothing they should not, and people's verdicts survive.

#![allow(clippy::type_complexity)] // row tuples read straight from SQL

mod common;

use truce_core::ingest::import_reader;
use truce_core::model::ImportReport;
use truce_core::Workspace;

/// A minimal .nessus file: each host with its HOST_START_TIMESTAMP and (pluginID, port) items.
fn nessus(hosts: &[(&str, i64, &[(&str, &str)])]) -> String {
    let mut s =
        String::from("<?xml version=\"1.0\" ?>\n<NessusClientData_v2><Report name=\"t\">\n");
    for (name, ts, items) in hosts {
        s.push_str(&format!(
            "<ReportHost name=\"{name}\"><HostProperties><tag name=\"HOST_START_TIMESTAMP\">{ts}</tag></HostProperties>\n"
        ));
        for (plugin, port) in *items {
            s.push_str(&format!(
                "<ReportItem port=\"{port}\" svc_name=\"x\" protocol=\"tcp\" severity=\"3\" pluginID=\"{plugin}\" pluginName=\"Plugin {plugin}\"><solution>Patch</solution></ReportItem>\n"
            ));
        }
        s.push_str("</ReportHost>\n");
    }
    s.push_str("</Report></NessusClientData_v2>\n");
    s
}

fn import(ws: &mut Workspace, name: &str, doc: &str) -> ImportReport {
    let mut input = std::io::Cursor::new(doc.as_bytes().to_vec());
    import_reader(ws, name, name, &mut input, None).unwrap()
}

fn status(ws: &Workspace, host: &str, plugin: &str) -> String {
    ws.conn()
        .query_row(
            "SELECT f.status FROM findings f JOIN assets a ON a.id = f.asset_id JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE a.name = ?1 AND v.scanner_id = ?2",
            [host, plugin],
            |r| r.get(0),
        )
        .unwrap()
}

const T1: i64 = 1_700_000_000;
const T2: i64 = T1 + 86_400;
const T3: i64 = T2 + 86_400;

#[test]
fn missing_from_a_newer_scan_is_fixed_and_coming_back_reopens_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r1 = import(
        &mut ws,
        "monday.nessus",
        &nessus(&[("web01", T1, &[("1", "22"), ("2", "80"), ("3", "443")])]),
    );
    assert_eq!((r1.new, r1.closed), (3, 0));

    let r2 = import(
        &mut ws,
        "tuesday.nessus",
        &nessus(&[("web01", T2, &[("1", "22"), ("2", "80")])]),
    );
    assert_eq!((r2.new, r2.closed, r2.unchanged, r2.reopened), (0, 1, 2, 0));
    assert_eq!(status(&ws, "web01", "3"), "fixed");
    let closed_at: String = ws
        .conn()
        .query_row(
            "SELECT closed_at FROM findings WHERE status = 'fixed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(closed_at, "2023-11-15T22:13:20.000Z"); // T2, the scan that no longer saw it

    let r3 = import(
        &mut ws,
        "wednesday.nessus",
        &nessus(&[("web01", T3, &[("1", "22"), ("2", "80"), ("3", "443")])]),
    );
    assert_eq!((r3.new, r3.closed, r3.unchanged, r3.reopened), (0, 0, 2, 1));
    assert_eq!(status(&ws, "web01", "3"), "open");
    // Its history: opened... fixed by tuesday, reopened by wednesday.
    let history: Vec<(String, String, String)> = ws
        .conn()
        .prepare(
            "SELECT old_value, new_value, reason FROM change_log c JOIN findings f ON f.id = c.entity_id
             JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '3' AND c.field = 'status' ORDER BY c.seq",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        history,
        [
            (
                "open".into(),
                "fixed".into(),
                "not found by tuesday.nessus".into()
            ),
            (
                "fixed".into(),
                "open".into(),
                "seen again in wednesday.nessus".into()
            )
        ]
    );
}

#[test]
fn an_older_scan_imported_late_neither_reopens_nor_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(
        &mut ws,
        "t1.nessus",
        &nessus(&[("web01", T1, &[("1", "22"), ("3", "443")])]),
    );
    import(
        &mut ws,
        "t3.nessus",
        &nessus(&[("web01", T3, &[("1", "22"), ("4", "8080")])]),
    );
    assert_eq!(status(&ws, "web01", "3"), "fixed");
    // The T2 scan still saw plugin 3 and did not see 4: old news on both counts.
    let late = import(
        &mut ws,
        "t2-late.nessus",
        &nessus(&[("web01", T2, &[("1", "22"), ("3", "443")])]),
    );
    assert_eq!((late.reopened, late.closed), (0, 0));
    assert_eq!(status(&ws, "web01", "3"), "fixed");
    assert_eq!(status(&ws, "web01", "4"), "open");
}

#[test]
fn assets_outside_the_scan_scope_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(
        &mut ws,
        "a.nessus",
        &nessus(&[
            ("web01", T1, &[("1", "22")]),
            ("db01", T1, &[("2", "5432")]),
        ]),
    );
    let r = import(&mut ws, "b.nessus", &nessus(&[("db01", T2, &[])]));
    assert_eq!(r.closed, 1);
    assert_eq!(status(&ws, "db01", "2"), "fixed");
    assert_eq!(
        status(&ws, "web01", "1"),
        "open",
        "web01 was not in the second scan's scope"
    );
}

#[test]
fn false_positives_and_accepted_risks_survive_rescans() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(
        &mut ws,
        "a.nessus",
        &nessus(&[("web01", T1, &[("1", "22"), ("2", "80")])]),
    );
    ws.conn()
        .execute_batch(
            "UPDATE findings SET status = 'false_positive' WHERE vulnerability_id = (SELECT id FROM vulnerabilities WHERE scanner_id = '1');
             UPDATE findings SET status = 'risk_accepted' WHERE vulnerability_id = (SELECT id FROM vulnerabilities WHERE scanner_id = '2');",
        )
        .unwrap();
    let gone = import(&mut ws, "b.nessus", &nessus(&[("web01", T2, &[])]));
    assert_eq!((gone.closed, gone.reopened), (0, 0));
    let back = import(
        &mut ws,
        "c.nessus",
        &nessus(&[("web01", T3, &[("1", "22"), ("2", "80")])]),
    );
    assert_eq!((back.closed, back.reopened, back.unchanged), (0, 0, 2));
    assert_eq!(status(&ws, "web01", "1"), "false_positive");
    assert_eq!(status(&ws, "web01", "2"), "risk_accepted");
}

#[test]
fn evidence_follows_the_newest_scan_and_is_rewritten_only_when_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let scan = |ts: i64, output: &str| {
        nessus(&[("web01", ts, &[("1", "22")])]).replace(
            "<solution>Patch</solution>",
            &format!("<solution>Patch</solution><plugin_output>{output}</plugin_output>"),
        )
    };
    import(&mut ws, "t1.nessus", &scan(T1, "OpenSSH 8.2"));
    let evidence = |ws: &Workspace| common::text(ws, "SELECT evidence FROM findings_with_evidence");
    assert_eq!(evidence(&ws), "OpenSSH 8.2");
    let hash = |ws: &Workspace| common::scalar(ws, "SELECT evidence_hash FROM findings");
    let first = hash(&ws);
    import(&mut ws, "t2.nessus", &scan(T2, "OpenSSH 8.2"));
    assert_eq!(
        (evidence(&ws), hash(&ws)),
        ("OpenSSH 8.2".to_string(), first)
    );
    import(&mut ws, "t3.nessus", &scan(T3, "OpenSSH 8.9p1"));
    assert_eq!(evidence(&ws), "OpenSSH 8.9p1");
    assert_ne!(hash(&ws), first);
    // An older scan imported late does not bring its older words back.
    import(&mut ws, "t1b.nessus", &scan(T1 + 60, "OpenSSH 7.4"));
    assert_eq!(evidence(&ws), "OpenSSH 8.9p1");
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM finding_evidence"),
        1
    );
}

/// Evidence the workspace already holds word for word is handed to the writer as text (not
/// packed twice); a new finding with those words, on another host, still keeps them.
#[test]
fn a_new_finding_with_words_the_workspace_holds_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let scan = |hosts: &[(&str, i64, &[(&str, &str)])]| {
        nessus(hosts).replace(
            "<solution>Patch</solution>",
            "<solution>Patch</solution><plugin_output>OpenSSH 8.2 on Ubuntu</plugin_output>",
        )
    };
    import(
        &mut ws,
        "t1.nessus",
        &scan(&[("web01", T1, &[("1", "22")])]),
    );
    let r = import(
        &mut ws,
        "t2.nessus",
        &scan(&[
            ("web01", T2, &[("1", "22")]),
            ("web02", T2, &[("1", "22"), ("2", "80")]),
        ]),
    );
    assert_eq!((r.new, r.unchanged), (2, 1));
    let said = common::texts(
        &ws,
        "SELECT a.name || ' ' || v.scanner_id || ' ' || e.evidence FROM findings_with_evidence e
         JOIN assets a ON a.id = e.asset_id JOIN vulnerabilities v ON v.id = e.vulnerability_id
         ORDER BY 1",
    );
    assert_eq!(
        said,
        [
            "web01 1 OpenSSH 8.2 on Ubuntu",
            "web02 1 OpenSSH 8.2 on Ubuntu",
            "web02 2 OpenSSH 8.2 on Ubuntu"
        ]
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(DISTINCT evidence_hash) FROM findings"),
        1
    );
}

/// A key of kilobytes (a host name, a tool name) is refused with the target named, before it is
/// compared on every lookup of the import (issue 18: a SARIF tool name of megabytes took minutes).
#[test]
fn a_target_with_a_key_too_long_to_keep_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let long = format!("web{}", "x".repeat(5000));
    let doc = nessus(&[("web01", T1, &[("1", "22")]), (&long, T1, &[("1", "22")])]);
    let before = common::dump(&ws);
    let mut input = std::io::Cursor::new(doc.into_bytes());
    let e = import_reader(&mut ws, "long.nessus", "long.nessus", &mut input, None).unwrap_err();
    let said = e.to_string();
    assert_eq!(e.code(), "bad_input", "{said}");
    assert!(
        said.starts_with("long.nessus: target 'webxxx") && said.contains("at most 1024 bytes"),
        "{said}"
    );
    assert_eq!(common::dump(&ws), before, "nothing of the file is kept");
}
