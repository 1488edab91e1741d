//! Scheduling on a real workspace: the qa scan's work items, a weekly window and a freeze.
//! The drop check, scheduling with conflicts answered, auto-plan and accept, the whole-plan
//! check and the forecast, all through `scheduling::actions`.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{corpus, fresh, scalar, texts};
use truce_core::calendar::{self, WindowKind, WindowSpec};
use truce_core::planning::{self, ItemState};
use truce_core::scheduling::actions::{self, ScheduleOutcome};
use truce_core::scheduling::{ConflictCode, OccurrenceKey};
use truce_core::{ingest, Workspace};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

struct Plan {
    ws: Workspace,
    tuesday: String,
    freeze: String,
    /// Item ids, biggest first (the scan's 4 seven-host fixes, then the two-host NLA fix).
    items: Vec<String>,
}

/// A window in Berlin time with no scope and no asset limit.
fn spec(
    name: &str,
    kind: WindowKind,
    start: &str,
    minutes: u32,
    rrule: Option<&str>,
    max_items: Option<u32>,
) -> WindowSpec {
    WindowSpec {
        rrule: rrule.map(Into::into),
        max_items,
        ..WindowSpec::new(
            name,
            kind,
            "Europe/Berlin",
            calendar::windows::parse_local_text(start).unwrap(),
            minutes,
        )
    }
}

/// nessus_v_unknown.xml (7 qa hosts; 5 fixes above info, read from the file: 4 on all 7 hosts,
/// NLA on 2) grouped into 5 items; "Tuesday patching" every Tuesday 22:00 Europe/Berlin for 4 h,
/// at most 2 items; a freeze from Fri 18 Dec 2026 00:00 Berlin for 10 days.
fn plan(dir: &std::path::Path) -> Plan {
    let mut ws = fresh(dir);
    ingest::import_file(
        &mut ws,
        &corpus("tenable/nessus/nessus_v_unknown.xml"),
        None,
    )
    .unwrap();
    planning::regroup(&mut ws).unwrap();
    let tuesday = calendar::create(
        ws.conn(),
        "test",
        &spec(
            "Tuesday patching",
            WindowKind::Maintenance,
            "2026-11-24T22:00:00",
            240,
            Some("FREQ=WEEKLY;BYDAY=TU"),
            Some(2),
        ),
    )
    .unwrap()
    .id;
    let freeze = calendar::create(
        ws.conn(),
        "test",
        &spec(
            "Freeze",
            WindowKind::Blackout,
            "2026-12-18T00:00:00",
            10 * 24 * 60,
            None,
            None,
        ),
    )
    .unwrap()
    .id;
    let items = texts(
        &ws,
        "SELECT work_item_id FROM work_item_findings GROUP BY work_item_id ORDER BY count(*) DESC, work_item_id",
    );
    assert_eq!(items.len(), 5);
    Plan {
        ws,
        tuesday,
        freeze,
        items,
    }
}

fn at(window: &str, start: &str) -> OccurrenceKey {
    OccurrenceKey {
        window_id: window.into(),
        start_utc: utc(start),
    }
}

/// "Late Tuesday", 23:00–24:00 Berlin from `start` (inside the Tuesday patching window): its id.
fn late_tuesday(ws: &Workspace, start: &str, rrule: Option<&str>) -> String {
    calendar::create(
        ws.conn(),
        "test",
        &spec(
            "Late Tuesday",
            WindowKind::Maintenance,
            start,
            60,
            rrule,
            None,
        ),
    )
    .unwrap()
    .id
}

fn codes(checks: &[actions::DropCheck]) -> Vec<Vec<ConflictCode>> {
    checks
        .iter()
        .map(|c| c.conflicts.iter().map(|x| x.code).collect())
        .collect()
}

#[test]
fn a_drop_in_the_freeze_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    let log = scalar(&p.ws, "SELECT count(*) FROM change_log");
    // Tuesday 22 Dec 22:00 CET is 21:00 UTC, inside the freeze (18 Dec – 28 Dec).
    let target = at(&p.tuesday, "2026-12-22T21:00:00Z");
    let out = actions::schedule(&mut p.ws, &p.items[..1], &target, "", true, now()).unwrap();
    let ScheduleOutcome::Refused { checks } = out else {
        panic!("{out:?}")
    };
    let freeze = checks[0]
        .conflicts
        .iter()
        .find(|c| c.code == ConflictCode::InBlackout)
        .unwrap();
    assert!(freeze.message.contains("Freeze"), "{}", freeze.message);
    assert_eq!(freeze.facts["blackout_start"], "2026-12-17T23:00:00+00:00");
    assert_eq!(scalar(&p.ws, "SELECT count(*) FROM change_log"), log);
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(*) FROM work_items WHERE window_id IS NOT NULL"
        ),
        0
    );
    // The freeze itself is no place for work either.
    let on_freeze = actions::check_drop(
        &p.ws,
        &p.items[..1],
        &at(&p.freeze, "2026-12-17T23:00:00Z"),
        now(),
    )
    .unwrap();
    assert!(codes(&on_freeze)[0].contains(&ConflictCode::NotAMaintenanceWindow));
}

#[test]
fn soft_conflicts_wait_for_a_reason_and_go_into_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    let item = p.items[4].clone();
    let target = at(&p.tuesday, "2026-12-01T21:00:00Z");
    // The scan is from 2013: every due date has passed; nobody owns the items yet.
    let out = actions::schedule(
        &mut p.ws,
        std::slice::from_ref(&item),
        &target,
        "",
        false,
        now(),
    )
    .unwrap();
    let ScheduleOutcome::NeedsConfirmation { checks } = out else {
        panic!("{out:?}")
    };
    assert_eq!(
        codes(&checks),
        vec![vec![
            ConflictCode::AfterDueDate,
            ConflictCode::MissingOpsOwner,
            ConflictCode::MissingApprover
        ]]
    );
    assert!(
        actions::schedule(
            &mut p.ws,
            std::slice::from_ref(&item),
            &target,
            " ",
            true,
            now()
        )
        .is_err(),
        "a reason is required"
    );
    let out = actions::schedule(
        &mut p.ws,
        std::slice::from_ref(&item),
        &target,
        "CAB 24 Nov: fix first, owners tomorrow",
        true,
        now(),
    )
    .unwrap();
    assert!(matches!(out, ScheduleOutcome::Scheduled { .. }), "{out:?}");
    let card = planning::items::cards_of(p.ws.conn(), now(), std::slice::from_ref(&item))
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(card.state, ItemState::Scheduled);
    assert_eq!(card.window_id.as_deref(), Some(p.tuesday.as_str()));
    assert_eq!(
        card.occurrence_start.as_deref().map(utc),
        Some(utc("2026-12-01T21:00:00Z"))
    );
    let reasons = texts(
        &p.ws,
        &format!(
            "SELECT reason FROM change_log WHERE entity_id = '{item}' AND field = 'window_id'"
        ),
    );
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].starts_with("CAB 24 Nov: fix first, owners tomorrow (accepted: "),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[0].contains("No ops owner is assigned"),
        "{}",
        reasons[0]
    );
}

#[test]
fn three_items_onto_room_for_two_are_refused_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    let target = at(&p.tuesday, "2026-12-08T21:00:00Z");
    let out = actions::schedule(
        &mut p.ws,
        &p.items[..3],
        &target,
        "all at once",
        true,
        now(),
    )
    .unwrap();
    let ScheduleOutcome::Refused { checks } = out else {
        panic!("{out:?}")
    };
    assert!(!codes(&checks)[1].contains(&ConflictCode::CapacityExceeded));
    assert!(codes(&checks)[2].contains(&ConflictCode::CapacityExceeded));
    // The board offers to place the two that fit, in the order dropped.
    assert_eq!(
        actions::fitting(&p.ws, &p.items[..3], &target, now()).unwrap(),
        p.items[..2]
    );
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(*) FROM work_items WHERE window_id IS NOT NULL"
        ),
        0
    );
    // A time that is not an occurrence of the window is an error, not a conflict.
    let wrong = at(&p.tuesday, "2026-12-08T20:00:00Z");
    let e = actions::check_drop(&p.ws, &p.items[..1], &wrong, now()).unwrap_err();
    assert!(
        e.to_string()
            .contains("has no occurrence starting at 2026-12-08T20:00:00+00:00"),
        "{e}"
    );
}

#[test]
fn the_auto_plan_fills_tuesdays_around_the_freeze_and_accepting_it_schedules_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    let proposal = actions::auto_plan(&p.ws, now(), 60, None).unwrap();
    assert_eq!(
        proposal,
        actions::auto_plan(&p.ws, now(), 60, None).unwrap(),
        "deterministic"
    );
    let starts: Vec<String> = proposal
        .placements
        .iter()
        .map(|pl| pl.occurrence.start_utc.to_rfc3339())
        .collect();
    // Two items per Tuesday (22:00 CET = 21:00 UTC) from 24 Nov: 24 Nov, 1 Dec, then the fifth on 8 Dec.
    assert_eq!(
        starts,
        [
            "2026-11-24T21:00:00+00:00",
            "2026-11-24T21:00:00+00:00",
            "2026-12-01T21:00:00+00:00",
            "2026-12-01T21:00:00+00:00",
            "2026-12-08T21:00:00+00:00"
        ]
    );
    assert_eq!(proposal.breaches, 5, "due dates from 2013 cannot be met");
    assert!(
        proposal.placements[4].why.contains("passed over 2: 2 full"),
        "{}",
        proposal.placements[4].why
    );
    assert!(proposal.unplaced.is_empty());
    // Nothing is written until someone accepts.
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(*) FROM work_items WHERE window_id IS NOT NULL"
        ),
        0
    );
    // Every placement is late: as with a drop, none is accepted without a person's reason.
    let unreasoned = actions::accept(&mut p.ws, None, None, None, now(), 60).unwrap();
    assert_eq!(
        (unreasoned.scheduled.len(), unreasoned.needs_reason.len()),
        (0, 5)
    );
    assert!(unreasoned.needs_reason.iter().all(|c| c
        .conflicts
        .iter()
        .any(|x| x.code == ConflictCode::AfterDueDate)));
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(*) FROM work_items WHERE window_id IS NOT NULL"
        ),
        0
    );
    let accepted = actions::accept(
        &mut p.ws,
        None,
        None,
        Some("CAB 24 Nov: overdue since 2013"),
        now(),
        60,
    )
    .unwrap();
    assert_eq!(accepted.scheduled.len(), 5);
    assert!(accepted.skipped.is_empty() && accepted.needs_reason.is_empty());
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(DISTINCT entity_id) FROM change_log WHERE entity = 'work_item' AND field = 'state' AND reason LIKE 'CAB 24 Nov: overdue since 2013 (auto-plan:%'"
        ),
        5
    );
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(*) FROM work_items WHERE state = 'scheduled'"
        ),
        5
    );
    // The whole plan now has soft conflicts only (late, unowned), never a refused one.
    let all = actions::plan_conflicts(&p.ws, now()).unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.iter().all(|i| i.conflicts.iter().all(|c| !c.hard)));
    // Carried out, the plan leaves 5, 3, 1, then 0 items open at the start of each week.
    let weeks: Vec<u32> = actions::forecast(&p.ws, now(), 4)
        .unwrap()
        .iter()
        .map(|w| w.open_items)
        .collect();
    assert_eq!(weeks, [5, 3, 1, 0]);
}

#[test]
fn a_drop_sees_double_booking_and_ha_partners_through_items_placed_around_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    // Item 0 holds all seven hosts, item 4 (NLA) two of them.
    let nla = p.items[4].clone();
    let nla_hosts = texts(
        &p.ws,
        &format!(
        "SELECT DISTINCT a.name FROM work_item_findings w JOIN findings f ON f.id = w.finding_id
         JOIN assets a ON a.id = f.asset_id WHERE w.work_item_id = '{nla}' ORDER BY a.name"),
    );
    assert_eq!(nla_hosts.len(), 2);
    let partner = texts(&p.ws, "SELECT name FROM assets ORDER BY name")
        .into_iter()
        .find(|n| !nla_hosts.contains(n))
        .unwrap();
    let overlapping = late_tuesday(&p.ws, "2026-12-01T23:00:00", None);
    let tuesday = at(&p.tuesday, "2026-12-01T21:00:00Z");
    let out = actions::schedule(&mut p.ws, &p.items[..1], &tuesday, "first", true, now()).unwrap();
    assert!(matches!(out, ScheduleOutcome::Scheduled { .. }), "{out:?}");
    // Same hosts in an overlapping occurrence of another window: confirm, not refuse.
    let late = at(&overlapping, "2026-12-01T22:00:00Z");
    let checks = actions::check_drop(&p.ws, std::slice::from_ref(&nla), &late, now()).unwrap();
    let twice = checks[0]
        .conflicts
        .iter()
        .find(|c| c.code == ConflictCode::AssetDoubleBooked)
        .expect("double booked");
    assert!(!twice.hard);
    assert_eq!(twice.facts["other_window"], "Tuesday patching");
    // The same hosts twice in one occurrence are fine...
    assert!(
        actions::check_drop(&p.ws, std::slice::from_ref(&nla), &tuesday, now()).unwrap()[0]
            .conflicts
            .iter()
            .all(|c| !c.hard)
    );
    // ...until one of the NLA item's hosts and a host of item 0 form an HA pair.
    p.ws.conn()
        .execute(
            "UPDATE assets SET ha_group = 'pair' WHERE name IN (?1, ?2)",
            [&nla_hosts[0], &partner],
        )
        .unwrap();
    let checks = actions::check_drop(&p.ws, std::slice::from_ref(&nla), &tuesday, now()).unwrap();
    let ha = checks[0]
        .conflicts
        .iter()
        .find(|c| c.code == ConflictCode::HaGroupTogether)
        .expect("HA");
    assert!(ha.hard);
    assert_eq!(ha.facts["partner"], partner);
}

#[test]
fn a_drop_with_an_item_that_cannot_be_scheduled_places_none_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    p.ws.conn()
        .execute(
            "UPDATE work_items SET state = 'done' WHERE id = ?1",
            [&p.items[1]],
        )
        .unwrap();
    let target = at(&p.tuesday, "2026-12-01T21:00:00Z");
    let e = actions::schedule(&mut p.ws, &p.items[..2], &target, "both", true, now()).unwrap_err();
    assert!(
        e.to_string().contains("a done item cannot be scheduled"),
        "{e}"
    );
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(*) FROM work_items WHERE window_id IS NOT NULL"
        ),
        0
    );
}

/// A drop check reads only the items around its target and merely counts those further away;
/// the whole-plan planner reads everything. Wherever asset capacity and HA groups play no part
/// (this plan has neither), both must give the same answer for every item on every occurrence,
/// including "the last window that meets" a due date, which skips full Tuesdays.
#[test]
fn a_drop_check_answers_as_the_whole_plan_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    // First seen 6 Sep 2026: the medium items (90 days) are due 5 Dec, the low one in March.
    p.ws.conn()
        .execute(
            "UPDATE findings SET first_seen = '2026-09-06T00:00:00Z'",
            [],
        )
        .unwrap();
    // Fill the Tuesdays of 24 Nov and 1 Dec (room for 2 each).
    for (pair, start) in [
        (&p.items[0..2], "2026-11-24T21:00:00Z"),
        (&p.items[2..4], "2026-12-01T21:00:00Z"),
    ] {
        let out = actions::schedule(&mut p.ws, pair, &at(&p.tuesday, start), "fill", true, now())
            .unwrap();
        assert!(matches!(out, ScheduleOutcome::Scheduled { .. }), "{out:?}");
    }
    // A weekly window inside the Tuesday one from 8 Dec, after the due date; item 4 on its first
    // (23:00 Berlin = 22:00Z), so drops onto that Tuesday meet an item on another, overlapping
    // occurrence.
    let late = late_tuesday(&p.ws, "2026-12-08T23:00:00", Some("FREQ=WEEKLY;BYDAY=TU"));
    let out = actions::schedule(
        &mut p.ws,
        &p.items[4..5],
        &at(&late, "2026-12-08T22:00:00Z"),
        "late",
        true,
        now(),
    )
    .unwrap();
    assert!(matches!(out, ScheduleOutcome::Scheduled { .. }), "{out:?}");
    let whole = truce_core::scheduling::load::whole(p.ws.conn(), now(), 120).unwrap();
    let targets: Vec<OccurrenceKey> = whole
        .slots()
        .iter()
        .filter(|s| s.start() < utc("2027-01-20T00:00:00Z"))
        .map(|s| s.key.clone())
        .collect();
    assert!(
        targets.len() >= 9,
        "8 Tuesdays and the freeze: {}",
        targets.len()
    );
    // Each item alone, and items dragged together from different places (each checked as if
    // the ones before it had landed).
    let mut drags: Vec<Vec<String>> = p.items.iter().map(|i| vec![i.clone()]).collect();
    for (a, b) in [(0, 4), (2, 3), (4, 1), (3, 0)] {
        drags.push(vec![p.items[a].clone(), p.items[b].clone()]);
    }
    let mut last_windows = std::collections::BTreeSet::new();
    let mut double_booked = 0;
    for drag in &drags {
        for target in &targets {
            let drop = actions::check_drop(&p.ws, drag, target, now()).unwrap();
            let whole_drop = whole.check_many(drag, target).unwrap();
            assert_eq!(drop.len(), whole_drop.len());
            for (d, (id, conflicts)) in drop.iter().zip(&whole_drop) {
                assert_eq!(
                    (&d.item_id, &d.conflicts),
                    (id, conflicts),
                    "{drag:?} on {target:?}"
                );
                for c in &d.conflicts {
                    if let Some(last) = c.facts.get("last_window") {
                        last_windows.insert(last.clone());
                    }
                    double_booked += usize::from(c.code == ConflictCode::AssetDoubleBooked);
                }
            }
        }
    }
    assert!(double_booked > 0, "the overlapping occurrence is seen");
    // Due 5 Dec, the Tuesdays before are 24 Nov and 1 Dec: an item on 1 Dec is told it
    // meets its due date there; item 4 (on neither) is told neither can take it, both being full.
    assert!(
        last_windows.contains("the last window that meets it is “Tuesday patching” on Tue 2026-12-01 22:00 Europe/Berlin"),
        "{last_windows:?}"
    );
    assert!(
        last_windows.contains("no window before it can take this item"),
        "{last_windows:?}"
    );
}

#[test]
fn the_auto_plan_of_a_filtered_board_places_only_what_the_filters_show() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = plan(dir.path());
    // Two of the five items shown (say, a filter on the NLA fix and one other).
    let shown = vec![p.items[4].clone(), p.items[1].clone()];
    let proposal = actions::auto_plan(&p.ws, now(), 60, Some(&shown)).unwrap();
    let mut placed: Vec<&str> = proposal
        .placements
        .iter()
        .map(|x| x.item_id.as_str())
        .collect();
    placed.sort();
    let mut want: Vec<&str> = shown.iter().map(String::as_str).collect();
    want.sort();
    assert_eq!(placed, want, "only the items shown are planned");
    // Alone, they take the first Tuesday (two per Tuesday), not the places the whole plan gives.
    assert!(proposal
        .placements
        .iter()
        .all(|x| x.occurrence.start_utc.to_rfc3339() == "2026-11-24T21:00:00+00:00"));
    // Accepting makes the same proposal for the same items, and schedules those two only.
    let r = actions::accept(
        &mut p.ws,
        None,
        Some(&shown),
        Some("filtered plan"),
        now(),
        60,
    )
    .unwrap();
    let mut scheduled = r.scheduled.clone();
    scheduled.sort();
    assert_eq!(scheduled, want);
    assert_eq!(
        scalar(
            &p.ws,
            "SELECT count(*) FROM work_items WHERE window_id IS NOT NULL"
        ),
        2
    );
}

#[test]
fn a_window_without_a_limit_takes_the_workspace_default() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(dir.path());
    let open = calendar::create(
        p.ws.conn(),
        "test",
        &spec(
            "Wednesday, no limit set",
            WindowKind::Maintenance,
            "2026-11-25T22:00:00",
            360,
            Some("FREQ=WEEKLY;BYDAY=WE"),
            None,
        ),
    )
    .unwrap()
    .id;
    // A new workspace starts with 10: the five items fit.
    assert_eq!(calendar::default_max_items(p.ws.conn()).unwrap(), Some(10));
    let target = at(&open, "2026-11-25T21:00:00Z");
    let capacity = |p: &Plan| -> Vec<bool> {
        actions::check_drop(&p.ws, &p.items, &target, now())
            .unwrap()
            .iter()
            .map(|c| {
                c.conflicts
                    .iter()
                    .any(|x| x.code == ConflictCode::CapacityExceeded)
            })
            .collect()
    };
    assert_eq!(capacity(&p), [false; 5]);
    // Three by default: the fourth and fifth are over.
    calendar::set_default_max_items(p.ws.conn(), "test", Some(3)).unwrap();
    assert_eq!(capacity(&p), [false, false, false, true, true]);
    // The auto-plan does not pile items on it either: at most three per Wednesday.
    let proposal = actions::auto_plan(&p.ws, now(), 20, None).unwrap();
    let on_first = proposal
        .placements
        .iter()
        .filter(|x| {
            x.occurrence.window_id == open && x.occurrence.start_utc == utc("2026-11-25T21:00:00Z")
        })
        .count();
    assert!(on_first <= 3, "{on_first} on one Wednesday");
    // No default: no limit.
    calendar::set_default_max_items(p.ws.conn(), "test", None).unwrap();
    assert_eq!(capacity(&p), [false; 5]);
    assert!(calendar::set_default_max_items(p.ws.conn(), "test", Some(0)).is_err());
}
