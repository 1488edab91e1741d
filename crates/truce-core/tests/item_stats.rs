//! Per-item aggregates (`work_item_stats`): the cards read from them must equal the cards
//! computed from scratch over every membership, after whatever changed the items' findings.

mod common;

use chrono::Utc;
use common::{fresh, scalar, texts};
use truce_core::ingest::import_reader;
use truce_core::planning::{self, exceptions, people, sla, SlaPolicy, WorkItemCard};
use truce_core::Workspace;

/// (pluginID, port, severity 1-4)
type Item = (u32, &'static str, u8);

/// A .nessus file: hosts with their items; two solutions shared by plugins.
fn nessus(ts: i64, hosts: &[(&str, &[Item])]) -> String {
    let mut s =
        String::from("<?xml version=\"1.0\" ?>\n<NessusClientData_v2><Report name=\"t\">\n");
    for (name, items) in hosts {
        s.push_str(&format!(
            "<ReportHost name=\"{name}\"><HostProperties><tag name=\"HOST_START_TIMESTAMP\">{ts}</tag></HostProperties>\n"
        ));
        for (plugin, port, sev) in *items {
            let solution = if plugin % 2 == 0 {
                "Patch the kernel"
            } else {
                "Upgrade OpenSSL"
            };
            s.push_str(&format!(
                "<ReportItem port=\"{port}\" svc_name=\"x\" protocol=\"tcp\" severity=\"{sev}\" pluginID=\"{plugin}\" pluginName=\"Plugin {plugin}\"><solution>{solution}</solution></ReportItem>\n"
            ));
        }
        s.push_str("</ReportHost>\n");
    }
    s.push_str("</Report></NessusClientData_v2>\n");
    s
}

fn import(ws: &mut Workspace, name: &str, doc: &str) {
    let mut input = std::io::Cursor::new(doc.as_bytes().to_vec());
    import_reader(ws, name, name, &mut input, None).unwrap();
}

const ALL: &[Item] = &[
    (1, "443", 4),
    (2, "22", 3),
    (3, "80", 2),
    (4, "0", 1),
    (5, "8443", 3),
];
const SOME: &[Item] = &[(1, "443", 4), (4, "0", 1)];

/// The stored cards equal a recount, and every item has its row (so the stored path was used).
fn check(ws: &Workspace, when: &str) -> Vec<WorkItemCard> {
    let now = Utc::now();
    let stored = planning::list_items(ws.conn(), now).unwrap();
    let recounted = planning::items::list_items_recounted(ws.conn(), now).unwrap();
    assert_eq!(
        stored, recounted,
        "{when}: stored aggregates differ from a recount"
    );
    let of = |id: &str| planning::items::cards_of(ws.conn(), now, &[id.to_string()]).unwrap();
    for c in &recounted {
        assert_eq!(of(&c.id), std::slice::from_ref(c), "{when}: cards_of");
    }
    stored
}

fn rows(ws: &Workspace) -> i64 {
    scalar(ws, "SELECT count(*) FROM work_item_stats")
}

fn items(ws: &Workspace) -> i64 {
    scalar(ws, "SELECT count(*) FROM work_items")
}

fn workspace(dir: &std::path::Path) -> Workspace {
    let mut ws = fresh(dir);
    import(
        &mut ws,
        "one.nessus",
        &nessus(1_767_225_600, &[("a", ALL), ("b", ALL), ("c", SOME)]),
    );
    planning::regroup(&mut ws).unwrap();
    ws
}

#[test]
fn aggregates_follow_regroup_rescans_and_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    let cards = check(&ws, "first regroup");
    assert!(cards.len() >= 2);
    assert_eq!(rows(&ws), items(&ws), "regroup writes every row");
    // A rescan: b lost four of its findings (all of one fix: fixed), c gained two (not yet in an item).
    import(
        &mut ws,
        "two.nessus",
        &nessus(
            1_767_312_000,
            &[
                ("a", ALL),
                ("b", &[(4, "0", 1)]),
                (
                    "c",
                    &[(1, "443", 4), (4, "0", 1), (2, "22", 3), (3, "80", 2)],
                ),
            ],
        ),
    );
    assert_eq!(
        rows(&ws),
        items(&ws),
        "the import refreshed the rows it dropped"
    );
    let cards = check(&ws, "rescan closing findings");
    assert!(cards.iter().any(|c| c.findings_fixed > 0));
    assert!(cards.iter().any(|c| c.assets_fixed > 0));
    planning::regroup(&mut ws).unwrap();
    check(&ws, "regroup after new findings");
    // b's findings come back: reopened.
    import(
        &mut ws,
        "three.nessus",
        &nessus(1_767_398_400, &[("a", ALL), ("b", ALL), ("c", ALL)]),
    );
    check(&ws, "rescan reopening findings");
    planning::regroup(&mut ws).unwrap();
    let cards = check(&ws, "regroup again");
    assert!(cards.iter().all(|c| c.findings_fixed == 0));
    assert_eq!(rows(&ws), items(&ws));
}

#[test]
fn aggregates_follow_split_merge_exceptions_and_policies() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    people::add_team(&mut ws, "Ops", "ops").unwrap();
    for (n, e) in [("Dana", "dana@x"), ("Sam", "sam@x")] {
        people::add_person(&mut ws, n, Some(e), Some("Ops"), None).unwrap();
    }
    let big = texts(
        &ws,
        "SELECT work_item_id FROM work_item_findings GROUP BY 1 ORDER BY count(*) DESC, 1",
    )[0]
    .clone();
    let mine = texts(
        &ws,
        &format!(
            "SELECT finding_id FROM work_item_findings WHERE work_item_id = '{big}' ORDER BY 1"
        ),
    );
    let new = planning::split(&mut ws, &big, &mine[..2], "sam", "two first").unwrap();
    assert_eq!(rows(&ws), items(&ws));
    check(&ws, "split");
    planning::merge(&mut ws, &big, &[new], "sam", "together again").unwrap();
    assert_eq!(rows(&ws), items(&ws));
    check(&ws, "merge");

    // An approved exception: its findings are risk accepted and the clock pauses (read live).
    let dana = common::text(&ws, "SELECT id FROM people WHERE name = 'Dana'");
    let e = exceptions::request(
        &mut ws,
        &exceptions::Ask {
            target: exceptions::Target::Finding(&mine[0]),
            justification: "legacy",
            compensating_control: None,
            expires_at: Utc::now() + chrono::Duration::days(20),
        },
        &dana,
        Utc::now(),
    )
    .unwrap();
    let sam = common::text(&ws, "SELECT id FROM people WHERE name = 'Sam'");
    exceptions::approve(&mut ws, &e, &sam, "ok", Utc::now()).unwrap();
    assert_eq!(rows(&ws), items(&ws));
    check(&ws, "exception approved");

    // SLA policy changes move every due date.
    sla::set_policy(
        &mut ws,
        &SlaPolicy {
            scope: "severity".into(),
            value: "high".into(),
            severity: "*".into(),
            days: 3,
        },
        false,
    )
    .unwrap();
    assert_eq!(rows(&ws), items(&ws));
    check(&ws, "SLA policy");
}

#[test]
fn changes_made_behind_the_planning_code_drop_the_rows_they_touch() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    let n = items(&ws);
    // Whatever module changes a finding, an asset or a vulnerability, the triggers drop the rows
    // of the items concerned, and readers recount them.
    let sqls = [
        "UPDATE findings SET status = 'false_positive' WHERE id = (SELECT min(finding_id) FROM work_item_findings)",
        "UPDATE findings SET severity = 'critical' WHERE id = (SELECT max(w.finding_id) FROM work_item_findings w
           JOIN findings f ON f.id = w.finding_id WHERE f.severity <> 'critical')",
        "UPDATE findings SET first_seen = '2020-01-01T00:00:00Z' WHERE id = (SELECT max(finding_id) FROM work_item_findings)",
        "DELETE FROM work_item_findings WHERE finding_id = (SELECT max(finding_id) FROM work_item_findings)",
        "INSERT INTO work_item_findings (work_item_id, finding_id)
           SELECT (SELECT min(work_item_id) FROM work_item_findings), id FROM findings
           WHERE id NOT IN (SELECT finding_id FROM work_item_findings)",
        "UPDATE work_item_findings SET work_item_id = (SELECT max(work_item_id) FROM work_item_findings)
           WHERE finding_id = (SELECT min(finding_id) FROM work_item_findings)",
        "UPDATE assets SET internet_facing = 1 WHERE name = 'a'",
        "UPDATE assets SET criticality = 'critical' WHERE name = 'b'",
        "UPDATE vulnerabilities SET known_exploited = 1 WHERE scanner_id = '3'",
        "DELETE FROM findings WHERE id IN (SELECT f.id FROM findings f JOIN assets a ON a.id = f.asset_id WHERE a.name = 'c' AND f.severity = 'critical')",
    ];
    for sql in sqls {
        ws.conn().execute_batch(sql).unwrap();
        assert!(rows(&ws) < n, "{sql}: no row dropped");
        check(&ws, sql);
        // The reader put the recounted rows back.
        assert_eq!(rows(&ws), n, "{sql}");
    }
}

#[test]
fn a_wrong_row_is_seen_by_the_comparison() {
    // The comparison the other tests rely on can fail: a row that disagrees with a recount.
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    ws.conn()
        .execute_batch(
            "UPDATE work_item_stats SET findings = findings + 1, open_assets = '' WHERE rowid = 1",
        )
        .unwrap();
    let now = Utc::now();
    let stored = planning::list_items(ws.conn(), now).unwrap();
    let recounted = planning::items::list_items_recounted(ws.conn(), now).unwrap();
    assert_ne!(stored, recounted);
}

#[test]
fn a_workspace_without_rows_fills_them_on_first_read() {
    // A workspace migrated from version 7 has items but no rows yet.
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    ws.conn()
        .execute_batch("DELETE FROM work_item_stats")
        .unwrap();
    check(&ws, "no rows");
    assert_eq!(rows(&ws), items(&ws));
}

#[test]
fn a_regroup_puts_back_the_trigger_it_lifts_for_its_filing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("untouched"), dir.path().join("regrouped"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let untouched = fresh(&a);
    let ws = workspace(&b);
    let sql = "SELECT group_concat(name || ': ' || sql, char(10)) FROM (SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name)";
    let trigger = |ws: &Workspace| common::text(ws, sql);
    assert!(trigger(&untouched).contains("work_item_stats_joined"));
    assert_eq!(trigger(&ws), trigger(&untouched));
}

#[test]
fn a_reader_does_not_wait_for_another_writer_to_put_rows_back() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path());
    ws.conn()
        .execute_batch("DELETE FROM work_item_stats")
        .unwrap();
    // Another connection holds the write lock.
    let other = rusqlite::Connection::open(dir.path().join("w.truce")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let start = std::time::Instant::now();
    check(&ws, "another writer");
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(
        rows(&ws),
        0,
        "nothing written while the other holds the lock"
    );
    other.execute_batch("ROLLBACK").unwrap();
    check(&ws, "lock released");
    assert_eq!(rows(&ws), items(&ws));
}

#[test]
fn a_regroup_puts_back_the_trigger_it_lifts_as_the_schema_defines_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = fresh(dir.path());
    import(
        &mut ws,
        "one.nessus",
        &nessus(1_767_225_600, &[("a", ALL), ("b", SOME)]),
    );
    // As a later migration might define it: the same rule, written differently.
    let migrated = "CREATE TRIGGER work_item_stats_joined AFTER INSERT ON work_item_findings
BEGIN
    -- a later migration's version of this trigger
    DELETE FROM work_item_stats WHERE work_item_stats.work_item_id = NEW.work_item_id;
END";
    ws.conn()
        .execute_batch(&format!("DROP TRIGGER work_item_stats_joined; {migrated};"))
        .unwrap();
    planning::regroup(&mut ws).unwrap();
    let after = texts(
        &ws,
        "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = 'work_item_stats_joined'",
    );
    assert_eq!(after, [migrated]);
    check(&ws, "after a regroup that filed findings");
}
