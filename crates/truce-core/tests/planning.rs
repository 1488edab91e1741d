//! The planning engine on real scans: grouping, ownership, states, SLAs, exceptions.

mod common;

use chrono::{DateTime, Utc};
use common::{corpus, fresh, scalar, texts};
use truce_core::planning::{self, exceptions, ownership, people, states, ItemState, SlaStatus};
use truce_core::{ingest, Workspace};

/// nessus_v_unknown.xml: 7 hosts qa3app01..09. Read from the file, its non-info findings have 5
/// distinct solutions: 4 of them on all 7 hosts (SSL transport, 2 RDP encryption levels, SMB
/// signing) and NLA on 2 hosts: 30 findings. Everything else is info (severity 0).
fn qa(dir: &std::path::Path) -> Workspace {
    let mut ws = fresh(dir);
    ingest::import_file(
        &mut ws,
        &corpus("tenable/nessus/nessus_v_unknown.xml"),
        None,
    )
    .unwrap();
    ws
}

fn sizes(ws: &Workspace) -> Vec<i64> {
    texts(ws, "SELECT count(*) || '' FROM work_item_findings GROUP BY work_item_id ORDER BY count(*) DESC")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect()
}

fn membership(ws: &Workspace) -> Vec<String> {
    texts(
        ws,
        "SELECT work_item_id || ' ' || finding_id FROM work_item_findings ORDER BY 1",
    )
}

#[test]
fn one_item_per_fix_across_hosts_and_info_is_not_planned() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = qa(dir.path());
    let r = planning::regroup(&mut ws).unwrap();
    assert_eq!(r.created.len(), 5);
    assert_eq!(sizes(&ws), [7, 7, 7, 7, 2]);
    assert_eq!(scalar(&ws, "SELECT count(*) FROM work_item_findings w JOIN findings f ON f.id = w.finding_id WHERE f.severity = 'info'"), 0);
    let items = planning::list_items(ws.conn(), Utc::now()).unwrap();
    let mut assets: Vec<u32> = items.iter().map(|i| i.assets).collect();
    assets.sort();
    assert_eq!(assets, [2, 7, 7, 7, 7]);
    assert!(items
        .iter()
        .all(|i| i.state == ItemState::Backlog && i.findings_fixed == 0));
    assert!(
        items
            .iter()
            .any(|i| i.action.starts_with("Enforce message signing")),
        "{items:#?}"
    );
    // Regrouping again changes nothing.
    let before = membership(&ws);
    let again = planning::regroup(&mut ws).unwrap();
    assert_eq!(
        (again.created.len(), again.joined, again.left, again.removed),
        (0, 0, 0, 0)
    );
    assert_eq!(membership(&ws), before);
}

#[test]
fn a_package_with_a_fixed_version_is_one_upgrade() {
    // scheme_2_many_vulns.json: 5 CVEs with fixed versions in 4 packages; commons-compress has
    // two (fixed in 1.18 and 1.16): 4 items, the upgrade to 1.18 holding 2 findings.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = fresh(dir.path());
    ingest::import_file(&mut ws, &corpus("trivy/scheme_2_many_vulns.json"), None).unwrap();
    planning::regroup(&mut ws).unwrap();
    assert_eq!(sizes(&ws), [2, 1, 1, 1]);
    let actions = texts(&ws, "SELECT action FROM work_items ORDER BY action");
    assert!(
        actions.contains(&"Upgrade org.apache.commons:commons-compress to 1.18".to_string()),
        "{actions:?}"
    );
}

#[test]
fn ownership_rules_split_items_by_team_and_a_manual_owner_wins() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = qa(dir.path());
    people::add_team(&mut ws, "Linux Ops", "ops").unwrap();
    people::add_team(&mut ws, "Windows Ops", "ops").unwrap();
    ownership::add_rule(&mut ws, "hostname", "qa3app01", "Windows Ops").unwrap();
    ownership::add_rule(&mut ws, "hostname", "qa3app*", "Linux Ops").unwrap();
    assert!(ownership::add_rule(&mut ws, "cidr", "10.0.0.0/40", "Linux Ops").is_err());
    planning::regroup(&mut ws).unwrap();
    // qa3app01 has its own items for each fix it needs; every item has one team.
    let on01 = scalar(&ws, "SELECT count(DISTINCT w.work_item_id) FROM work_item_findings w JOIN findings f ON f.id = w.finding_id JOIN assets a ON a.id = f.asset_id WHERE a.name = 'qa3app01'");
    assert!(on01 >= 4, "{on01}");
    assert_eq!(scalar(&ws, "SELECT count(*) FROM work_items"), 5 + on01);
    assert_eq!(scalar(&ws, "SELECT count(*) FROM (SELECT w.work_item_id FROM work_item_findings w JOIN findings f ON f.id = w.finding_id JOIN assets a ON a.id = f.asset_id GROUP BY 1 HAVING count(DISTINCT a.owner_team_id) > 1)"), 0);
    ownership::set_owner(&mut ws, "qa3app01", Some("Linux Ops"), "moved to Linux").unwrap();
    let r = planning::regroup(&mut ws).unwrap();
    assert_eq!(r.removed as i64, on01, "the Windows items emptied and went");
    assert_eq!(sizes(&ws), [7, 7, 7, 7, 2]);
}

#[test]
fn regroup_keeps_splits_merges_and_items_past_backlog() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = qa(dir.path());
    planning::regroup(&mut ws).unwrap();
    let ids = texts(
        &ws,
        "SELECT work_item_id FROM work_item_findings GROUP BY 1 ORDER BY count(*) DESC, 1",
    );
    let (big, other, small) = (&ids[0], &ids[1], &ids[4]);
    let three = texts(&ws, &format!("SELECT finding_id FROM work_item_findings WHERE work_item_id = '{big}' ORDER BY 1 LIMIT 3"));
    let new = planning::split(&mut ws, big, &three, "sam", "three hosts first").unwrap();
    planning::merge(
        &mut ws,
        other,
        std::slice::from_ref(small),
        "sam",
        "one change",
    )
    .unwrap();
    assert!(planning::split(&mut ws, &new, &three, "sam", "all of it").is_err());
    let before = membership(&ws);
    let r = planning::regroup(&mut ws).unwrap();
    assert_eq!((r.created.len(), r.left, r.removed), (0, 0, 0));
    assert_eq!(membership(&ws), before);
    assert_eq!(sizes(&ws), [9, 7, 7, 4, 3]);
    // A finding that leaves its split item (made open again without an item) joins the oldest
    // item with its key that is not done: the original.
    ws.conn()
        .execute(
            "DELETE FROM work_item_findings WHERE finding_id = ?1",
            [&three[0]],
        )
        .unwrap();
    let r = planning::regroup(&mut ws).unwrap();
    assert_eq!((r.joined, r.created.len()), (1, 0));
    let joined: String = ws
        .conn()
        .query_row(
            "SELECT work_item_id FROM work_item_findings WHERE finding_id = ?1",
            [&three[0]],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(&joined, big);
    let detail = planning::item_detail(ws.conn(), &new, Utc::now()).unwrap();
    assert!(detail
        .history
        .iter()
        .any(|h| h.field == "created" && h.reason.as_deref() == Some("three hosts first")));
}

#[test]
fn a_preview_shows_a_rule_change_without_making_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = qa(dir.path());
    planning::regroup(&mut ws).unwrap();
    let before = common::dump(&ws);
    let rules = planning::GroupingRules {
        include_info: true,
        ..Default::default()
    };
    let p = planning::regroup_preview(&mut ws, Some(rules)).unwrap();
    assert!(p.preview && !p.created.is_empty());
    let info = scalar(
        &ws,
        "SELECT count(*) FROM findings WHERE severity = 'info' AND status = 'open'",
    );
    assert_eq!(
        p.created.iter().map(|c| c.findings as i64).sum::<i64>(),
        info
    );
    assert_eq!(common::dump(&ws), before);
}

/// A workspace with one item, its owners (Dana ops, Sam security, Carla approver), and a window.
fn planned(dir: &std::path::Path) -> (Workspace, String, String) {
    let mut ws = qa(dir);
    people::add_team(&mut ws, "Linux Ops", "ops").unwrap();
    for (n, e) in [
        ("Dana", "dana@x"),
        ("Sam", "sam@x"),
        ("Carla", "carla@x"),
        ("Olga", "olga@x"),
    ] {
        people::add_person(&mut ws, n, Some(e), Some("Linux Ops"), None).unwrap();
    }
    planning::regroup(&mut ws).unwrap();
    let item = texts(
        &ws,
        "SELECT work_item_id FROM work_item_findings GROUP BY 1 ORDER BY count(*), 1",
    )[0]
    .clone();
    states::assign(
        &mut ws,
        &item,
        Some("Dana"),
        Some("Sam"),
        Some("Carla"),
        "sam",
        "owners",
    )
    .unwrap();
    ws.conn().execute("INSERT INTO change_windows (id, name, kind, time_zone, starts_local, duration_min, created_at, updated_at) VALUES ('w1', 'Tue', 'maintenance', 'UTC', '2030-01-01T22:00:00', 240, 'x', 'x')", []).unwrap();
    (ws, item, "w1".into())
}

const STATES: [&str; 10] = [
    "backlog",
    "proposed",
    "scheduled",
    "approved",
    "in_progress",
    "done",
    "verified",
    "failed",
    "rolled_back",
    "deferred",
];

#[test]
fn every_transition_is_allowed_or_refused_as_documented() {
    let expected: &[(&str, &[&str])] = &[
        ("backlog", &["proposed", "deferred"]),
        ("proposed", &["scheduled", "backlog", "deferred"]),
        (
            "scheduled",
            &["approved", "proposed", "backlog", "deferred"],
        ),
        ("approved", &["in_progress", "scheduled", "deferred"]),
        ("in_progress", &["done", "failed", "rolled_back"]),
        ("done", &["verified", "failed"]),
        ("verified", &[]),
        ("failed", &["backlog", "proposed", "scheduled"]),
        ("rolled_back", &["backlog", "proposed", "scheduled"]),
        ("deferred", &["backlog", "proposed"]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, item, _) = planned(dir.path());
    // Everything fixed and placed, so only the state table decides.
    ws.conn().execute_batch("UPDATE findings SET status = 'fixed'; UPDATE work_items SET window_id = 'w1', occurrence_start = '2030-01-01T22:00:00Z';").unwrap();
    let carla = person(&ws, "Carla");
    for (from, to_ok) in expected {
        for to in STATES {
            ws.conn().execute("UPDATE work_items SET state = ?2, window_id = 'w1', occurrence_start = '2030-01-01T22:00:00Z' WHERE id = ?1", rusqlite::params![item, from]).unwrap();
            // The approver approves; someone else makes every other move (a requester may not approve).
            let who = if to == "approved" {
                carla.as_str()
            } else {
                "Olga"
            };
            let r = states::transition(&mut ws, &item, ItemState::parse(to).unwrap(), who, "test");
            assert_eq!(r.is_ok(), to_ok.contains(&to), "{from} -> {to}: {r:?}");
            if r.is_ok() {
                assert_eq!(
                    common::text(
                        &ws,
                        &format!("SELECT state FROM work_items WHERE id = '{item}'")
                    ),
                    to
                );
                let last: (String, String, String, String) = ws.conn().query_row("SELECT old_value, new_value, actor, reason FROM change_log WHERE entity_id = ?1 AND field = 'state' ORDER BY seq DESC LIMIT 1", [&item], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap();
                assert_eq!(
                    last,
                    (
                        from.to_string(),
                        to.to_string(),
                        who.to_string(),
                        "test".into()
                    )
                );
            }
        }
    }
    assert!(
        states::transition(&mut ws, &item, ItemState::Backlog, "Carla", " ").is_err(),
        "a reason is required"
    );
}

#[test]
fn scheduling_places_the_item_and_nobody_approves_their_own_request() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, item, w) = planned(dir.path());
    assert!(states::transition(&mut ws, &item, ItemState::Proposed, "Dana", "ready").is_ok());
    assert!(states::transition(&mut ws, &item, ItemState::Scheduled, "Dana", "no window").is_err());
    states::schedule(
        &mut ws,
        &item,
        &w,
        "2030-01-01T22:00:00+00:00",
        "Dana",
        "Tuesday",
    )
    .unwrap();
    let card = &planning::list_items(ws.conn(), Utc::now())
        .unwrap()
        .into_iter()
        .find(|c| c.id == item)
        .unwrap();
    assert_eq!(
        (
            card.state,
            card.window_id.as_deref(),
            card.occurrence_start.as_deref()
        ),
        (
            ItemState::Scheduled,
            Some("w1"),
            Some("2030-01-01T22:00:00.000Z")
        )
    );
    // The ops owner (who also scheduled it) cannot approve; nor someone not the approver.
    let (dana, carla) = (person(&ws, "Dana"), person(&ws, "Carla"));
    assert!(states::transition(&mut ws, &item, ItemState::Approved, &dana, "me").is_err());
    assert!(states::transition(&mut ws, &item, ItemState::Approved, "Olga", "me").is_err());
    assert!(states::transition(&mut ws, &item, ItemState::Approved, "nobody", "me").is_err());
    // An OS user named like a person is not that person: approving takes a signed-in id.
    let e = states::transition(&mut ws, &item, ItemState::Approved, "Carla", "me").unwrap_err();
    assert!(e.to_string().contains("only a person can approve"), "{e}");
    assert!(states::assign(&mut ws, &item, None, None, Some("Dana"), "sam", "x").is_err());
    states::transition(&mut ws, &item, ItemState::Approved, &carla, "CAB").unwrap();
    // Committing, then moving, withdraws the promise visibly.
    exceptions::commit(&mut ws, &item, "Dana", "patched Tuesday").unwrap();
    // Off an occurrence an item can only wait (backlog, proposed, deferred), never stay approved.
    let e = states::unschedule(&mut ws, &item, "Dana", "x", Some(ItemState::Approved)).unwrap_err();
    assert!(e.to_string().contains("not approved"), "{e}");
    states::unschedule(&mut ws, &item, "Dana", "vendor late", None).unwrap();
    let d = planning::item_detail(ws.conn(), &item, Utc::now()).unwrap();
    assert_eq!(d.item.state, ItemState::Proposed);
    assert_eq!(d.item.window_id, None);
    assert_eq!(d.commitments[0].state, "withdrawn");
    let fields: Vec<&str> = d.history.iter().map(|h| h.field.as_str()).collect();
    for f in [
        "ops owner",
        "approver",
        "state",
        "window",
        "occurrence",
        "commitment",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // Names, not ids: the window placed on and then left, the people assigned.
    let said = |field: &str| {
        d.history
            .iter()
            .filter(|h| h.field == field)
            .flat_map(|h| [h.old_value.clone(), h.new_value.clone()])
            .flatten()
            .collect::<Vec<_>>()
    };
    let window_name = common::text(
        &ws,
        &format!("SELECT name FROM change_windows WHERE id = '{w}'"),
    );
    assert_eq!(said("window"), [window_name.clone(), window_name]);
    assert_eq!(said("ops owner"), ["Dana"]);
    assert_eq!(said("approver"), ["Carla"]);
    assert!(d
        .history
        .iter()
        .all(|h| h.field != "created" || h.new_value.is_none()));
}

#[test]
fn a_missed_commitment_stays_visible() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, item, w) = planned(dir.path());
    states::schedule(
        &mut ws,
        &item,
        &w,
        "2020-01-07T22:00:00.000Z",
        "Dana",
        "past",
    )
    .unwrap();
    exceptions::commit(&mut ws, &item, "Dana", "done by Wednesday").unwrap();
    assert_eq!(
        exceptions::mark_missed(ws.conn(), "truce", "2020-01-08T01:59:00.000Z").unwrap(),
        0
    );
    assert_eq!(
        exceptions::mark_missed(ws.conn(), "truce", "2020-01-08T02:00:00.000Z").unwrap(),
        1
    );
    let d = planning::item_detail(ws.conn(), &item, Utc::now()).unwrap();
    assert_eq!(
        (d.item.missed_commitments, d.commitments[0].state.as_str()),
        (1, "missed")
    );
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[test]
fn due_dates_follow_the_most_restrictive_policy_and_exceptions_pause_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, item, _) = planned(dir.path());
    ws.conn()
        .execute(
            "UPDATE findings SET first_seen = '2026-01-01T00:00:00Z'",
            [],
        )
        .unwrap();
    // The 2-host NLA item: medium findings -> 90 days.
    let sev = common::text(&ws, &format!("SELECT max(f.severity) FROM work_item_findings w JOIN findings f ON f.id = w.finding_id WHERE w.work_item_id = '{item}'"));
    assert_eq!(sev, "medium");
    let card = |ws: &Workspace, now: &str| {
        planning::list_items(ws.conn(), at(now))
            .unwrap()
            .into_iter()
            .find(|c| c.id == item)
            .unwrap()
    };
    let c = card(&ws, "2026-02-01T00:00:00.000Z");
    assert_eq!(
        (c.due_at.as_deref(), c.sla),
        (Some("2026-04-01T00:00:00.000Z"), SlaStatus::OnTrack)
    );
    // 22.5 days is 25% of 90: one day less left is at risk, the due date itself breached.
    assert_eq!(card(&ws, "2026-03-11T00:00:00.000Z").sla, SlaStatus::AtRisk);
    assert_eq!(
        card(&ws, "2026-04-01T00:00:00.000Z").sla,
        SlaStatus::Breached
    );
    // Internet-facing does not tighten medium; known exploited (7 days) does.
    ws.conn()
        .execute(
            "UPDATE assets SET internet_facing = 1, criticality = 'critical'",
            [],
        )
        .unwrap();
    assert_eq!(
        card(&ws, "2026-01-02T00:00:00.000Z").due_at.as_deref(),
        Some("2026-04-01T00:00:00.000Z")
    );
    ws.conn()
        .execute("UPDATE vulnerabilities SET known_exploited = 1", [])
        .unwrap();
    assert_eq!(
        card(&ws, "2026-01-02T00:00:00.000Z").due_at.as_deref(),
        Some("2026-01-08T00:00:00.000Z")
    );
    // An exception approved for 10 days (then expired) moves the due date 10 days on.
    ws.conn().execute("INSERT INTO exceptions (id, work_item_id, justification, requested_by, approved_by, state, expires_at, created_at, approved_at, ended_at)
        SELECT 'e1', ?1, 'x', (SELECT id FROM people WHERE name = 'Dana'), (SELECT id FROM people WHERE name = 'Sam'), 'expired', '2026-01-12T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-12T00:00:00Z'", [&item]).unwrap();
    assert_eq!(
        card(&ws, "2026-01-20T00:00:00.000Z").due_at.as_deref(),
        Some("2026-01-18T00:00:00.000Z")
    );
}

#[test]
fn an_exception_needs_another_approver_and_its_expiry_reopens_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, item, _) = planned(dir.path());
    let now = Utc::now();
    let (dana, sam) = (person(&ws, "Dana"), person(&ws, "Sam"));
    let e = exceptions::request(
        &mut ws,
        &exceptions::Ask {
            target: exceptions::Target::Item(&item),
            justification: "legacy app",
            compensating_control: Some("WAF rule"),
            expires_at: now + chrono::Duration::hours(1),
        },
        &dana,
        now,
    )
    .unwrap();
    assert!(exceptions::approve(&mut ws, &e, &dana, "mine", now).is_err());
    exceptions::approve(&mut ws, &e, &sam, "accepted until the migration", now).unwrap();
    let open = format!("SELECT count(*) FROM work_item_findings w JOIN findings f ON f.id = w.finding_id WHERE w.work_item_id = '{item}' AND f.status = 'open'");
    assert_eq!(scalar(&ws, &open), 0);
    let later = now + chrono::Duration::minutes(59);
    assert_eq!(
        exceptions::expire(&mut ws, later).unwrap(),
        0,
        "not expired yet"
    );
    assert_eq!(
        exceptions::expire(&mut ws, later + chrono::Duration::minutes(2)).unwrap(),
        2
    );
    assert_eq!(scalar(&ws, &open), 2);
    assert_eq!(
        common::text(
            &ws,
            &format!("SELECT state FROM exceptions WHERE id = '{e}'")
        ),
        "expired"
    );
}

#[test]
fn done_items_are_verified_when_every_finding_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, item, _) = planned(dir.path());
    ws.conn()
        .execute(
            "UPDATE work_items SET state = 'done' WHERE id = ?1",
            [&item],
        )
        .unwrap();
    let fix_one = format!("UPDATE findings SET status = 'fixed' WHERE id = (SELECT finding_id FROM work_item_findings WHERE work_item_id = '{item}' LIMIT 1)");
    ws.conn().execute(&fix_one, []).unwrap();
    assert_eq!(
        states::verify_done_items(ws.conn(), "scan", "2030-01-01T00:00:00.000Z").unwrap(),
        0
    );
    let c = planning::list_items(ws.conn(), Utc::now())
        .unwrap()
        .into_iter()
        .find(|c| c.id == item)
        .unwrap();
    assert_eq!(
        (c.findings, c.findings_fixed, c.assets, c.assets_fixed),
        (2, 1, 2, 1)
    );
    ws.conn().execute(&format!("UPDATE findings SET status = 'fixed' WHERE id IN (SELECT finding_id FROM work_item_findings WHERE work_item_id = '{item}')"), []).unwrap();
    assert_eq!(
        states::verify_done_items(ws.conn(), "scan", "2030-01-01T00:00:00.000Z").unwrap(),
        1
    );
    assert_eq!(
        common::text(
            &ws,
            &format!("SELECT state FROM work_items WHERE id = '{item}'")
        ),
        "verified"
    );
}

#[test]
fn an_app_import_files_new_findings_into_existing_items() {
    // nessus_with_cvssv3.nessus: a second report; once items exist, api::import_files regroups.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = qa(dir.path());
    planning::regroup(&mut ws).unwrap();
    let before = scalar(&ws, "SELECT count(*) FROM work_item_findings");
    let files = vec![corpus("tenable/nessus/nessus_with_cvssv3.nessus")];
    let out = truce_core::api::import_files(&mut ws, &files, &|_| {});
    assert!(out[0].error.is_none(), "{out:?}");
    let planned = "SELECT count(*) FROM findings WHERE status = 'open' AND severity <> 'info'";
    assert!(scalar(&ws, planned) > before);
    assert_eq!(
        scalar(&ws, "SELECT count(*) FROM work_item_findings"),
        scalar(&ws, planned)
    );
}

#[test]
fn metrics_count_compliance_time_to_remediate_and_risk_by_team() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, item, _) = planned(dir.path());
    // The 2 NLA findings are medium (90 days): one fixed after 10 days, one after 100.
    let ids = texts(
        &ws,
        &format!(
            "SELECT finding_id FROM work_item_findings WHERE work_item_id = '{item}' ORDER BY 1"
        ),
    );
    ws.conn()
        .execute(
            "UPDATE findings SET first_seen = '2026-01-01T00:00:00Z'",
            [],
        )
        .unwrap();
    ws.conn().execute("UPDATE findings SET status = 'fixed', closed_at = '2026-01-11T00:00:00Z' WHERE id = ?1", [&ids[0]]).unwrap();
    ws.conn().execute("UPDATE findings SET status = 'fixed', closed_at = '2026-04-11T00:00:00Z' WHERE id = ?1", [&ids[1]]).unwrap();
    let m = planning::metrics::metrics(ws.conn(), at("2026-05-01T00:00:00.000Z")).unwrap();
    assert_eq!((m.fixed_with_sla, m.sla_compliance), (2, Some(0.5)));
    assert_eq!(m.mean_days_to_remediate, Some(55.0));
    // No ownership rules: one row (no team) holding the 28 findings still open. The file's three
    // medium 7-host fixes (90 days) are breached by May; the low one (FIPS RDP level, 180 days, due
    // June 30) has 60 of 180 days left, over 25%: on track.
    assert_eq!(m.open_risk_by_team.len(), 1);
    let t = &m.open_risk_by_team[0];
    assert_eq!(
        (t.open_findings, t.breached_items, t.at_risk_items),
        (28, 3, 0)
    );
}

#[test]
fn a_rescan_that_finds_the_fix_verifies_a_done_item() {
    // The same report a year later without plugin 58453 (NLA, on 2 hosts): its 2 findings close,
    // and the done NLA item becomes verified at the end of that import.
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, item, _) = planned(dir.path());
    let nla = common::text(&ws, &format!("SELECT group_concat(DISTINCT v.scanner_id) FROM work_item_findings w JOIN findings f ON f.id = w.finding_id JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE w.work_item_id = '{item}'"));
    assert_eq!(nla, "58453");
    let other = texts(
        &ws,
        "SELECT work_item_id FROM work_item_findings GROUP BY 1 ORDER BY count(*) DESC, 1",
    )[0]
    .clone();
    ws.conn()
        .execute(
            "UPDATE work_items SET state = 'done' WHERE id IN (?1, ?2)",
            [&item, &other],
        )
        .unwrap();
    let xml = std::fs::read_to_string(corpus("tenable/nessus/nessus_v_unknown.xml")).unwrap();
    let mut rescan = String::new();
    let mut rest = xml.as_str();
    while let Some(at) = rest.find("<ReportItem ") {
        let end = rest[at..].find("</ReportItem>").unwrap() + at + "</ReportItem>".len();
        rescan.push_str(&rest[..at]);
        if !rest[at..end].contains("pluginID=\"58453\"") {
            rescan.push_str(&rest[at..end]);
        }
        rest = &rest[end..];
    }
    rescan.push_str(rest);
    let rescan = rescan.replace(" 2013<", " 2014<");
    let path = dir.path().join("rescan.nessus");
    std::fs::write(&path, rescan).unwrap();
    let r = ingest::import_file(&mut ws, &path, None).unwrap();
    assert_eq!(r.closed, 2);
    assert_eq!(
        common::text(
            &ws,
            &format!("SELECT state FROM work_items WHERE id = '{item}'")
        ),
        "verified"
    );
    // The other done item still has open findings: it stays done.
    assert_eq!(
        common::text(
            &ws,
            &format!("SELECT state FROM work_items WHERE id = '{other}'")
        ),
        "done"
    );
    let d = planning::item_detail(ws.conn(), &item, Utc::now()).unwrap();
    assert!(d
        .history
        .iter()
        .any(|h| h.new_value.as_deref() == Some("verified")
            && h.reason.as_deref() == Some("a rescan found every finding fixed")));
}

#[test]
fn a_regroup_commits_into_the_log_and_gives_automatic_checkpoints_back() {
    // Like an import, a regroup defers SQLite's automatic checkpoint while it commits (a first
    // regroup of a big workspace writes a million memberships), and turns it back on after.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = qa(dir.path());
    let auto = |ws: &Workspace| -> i64 {
        ws.conn()
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap()
    };
    let before = auto(&ws);
    assert!(before > 0);
    planning::regroup(&mut ws).unwrap();
    assert_eq!(auto(&ws), before);
    // Still durable: another connection sees every membership before any checkpoint.
    let other = rusqlite::Connection::open(ws.path()).unwrap();
    let seen: i64 = other
        .query_row("SELECT count(*) FROM work_item_findings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(seen, membership(&ws).len() as i64);
}

/// A person's id by name (approving and deciding take the acting person's id).
fn person(ws: &Workspace, name: &str) -> String {
    common::text(ws, &format!("SELECT id FROM people WHERE name = '{name}'"))
}

#[test]
fn approval_reads_the_policy_again_when_the_risk_grew_since_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, item, _) = planned(dir.path());
    let now = Utc::now();
    let (dana, sam) = (person(&ws, "Dana"), person(&ws, "Sam"));
    let worst = common::text(
        &ws,
        &format!("SELECT f.severity FROM work_item_findings w JOIN findings f ON f.id = w.finding_id WHERE w.work_item_id = '{item}' ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END LIMIT 1"),
    );
    assert_ne!(worst, "critical", "the scan's item has no critical finding");
    // 40 days: within the policy for anything but critical (30).
    let e = exceptions::request(
        &mut ws,
        &exceptions::Ask {
            target: exceptions::Target::Item(&item),
            justification: "legacy app",
            compensating_control: None,
            expires_at: now + chrono::Duration::days(40),
        },
        &dana,
        now,
    )
    .unwrap();
    // A rescan finds one of its findings critical now.
    ws.conn()
        .execute(
            "UPDATE findings SET severity = 'critical' WHERE id = (SELECT finding_id FROM work_item_findings WHERE work_item_id = ?1 LIMIT 1)",
            [&item],
        )
        .unwrap();
    let err = exceptions::approve(&mut ws, &e, &sam, "fine", now)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a critical risk may be accepted for 30 days at most"),
        "{err}"
    );
    assert_eq!(
        common::text(
            &ws,
            &format!("SELECT state FROM exceptions WHERE id = '{e}'")
        ),
        "requested"
    );
}
