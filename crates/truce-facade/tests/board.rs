//! The planning board's commands through `commands::dispatch`, as the app and the browser
//! bridge call them, on the demo workspace (its reports, teams and windows: demo.rs).

#[path = "../../truce-core/tests/common/mod.rs"]
mod common;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use truce_core::{demo, Workspace};
use truce_facade::commands::{dispatch, NAMES};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
}

fn call(ws: &mut Workspace, name: &str, args: Value) -> Value {
    dispatch(ws, name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn demo_ws(dir: &std::path::Path) -> Workspace {
    let path = dir.join("demo.truce");
    demo::create_demo(
        &path,
        std::sync::Arc::new(truce_core::clock::SetClock::at(now())),
    )
    .unwrap();
    common::open_at(&path, now())
}

fn board(ws: &mut Workspace) -> Value {
    call(
        ws,
        "board",
        json!({"from": "2026-11-30", "to": "2027-01-04"}),
    )
}

fn occurrence<'a>(b: &'a Value, name: &str, start: &str) -> &'a Value {
    b["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["window_name"] == name && o["start_utc"] == start)
        .unwrap_or_else(|| panic!("no occurrence {name} at {start}"))
}

fn key(o: &Value) -> Value {
    json!({"window_id": o["window_id"], "start_utc": o["start_utc"]})
}

#[test]
fn the_board_shows_every_item_and_the_occurrences_of_the_span() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo_ws(dir.path());
    let b = board(&mut ws);
    let items = b["items"].as_array().unwrap();
    let stored: usize = ws
        .conn()
        .query_row("SELECT count(*) FROM work_items", [], |r| r.get(0))
        .unwrap();
    assert!(stored >= 10, "{stored} items");
    assert_eq!(items.len(), stored);
    // Weekly Linux patching: Tuesdays 22:00 Berlin (21:00 UTC in winter) from 1 Dec: 1, 8, 15,
    // 22, 29 Dec; the monthly prod window on the 2nd Sunday (13 Dec 02:00 New York = 07:00 UTC);
    // the freeze from 18 Dec 00:00 Berlin.
    let starts: Vec<(&str, &str)> = b["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["window_name"].as_str().unwrap(),
                o["start_utc"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        starts,
        vec![
            ("Weekly Linux patching", "2026-12-01T21:00:00.000Z"),
            ("Weekly Linux patching", "2026-12-08T21:00:00.000Z"),
            ("Monthly prod web window", "2026-12-13T07:00:00.000Z"),
            ("Weekly Linux patching", "2026-12-15T21:00:00.000Z"),
            ("Year-end change freeze", "2026-12-17T23:00:00.000Z"),
            ("Weekly Linux patching", "2026-12-22T21:00:00.000Z"),
            ("Weekly Linux patching", "2026-12-29T21:00:00.000Z"),
        ]
    );
    assert_eq!(
        occurrence(&b, "Year-end change freeze", "2026-12-17T23:00:00.000Z")["kind"],
        "blackout"
    );
    // The demo put two qa items on the first two Tuesdays: their place reads like the occurrence's.
    let placed: Vec<&str> = items
        .iter()
        .filter_map(|i| i["occurrence_start"].as_str())
        .collect();
    assert!(placed.contains(&"2026-12-01T21:00:00.000Z"), "{placed:?}");
    assert!(placed.contains(&"2026-12-13T07:00:00.000Z"), "{placed:?}");
    assert_eq!(b["teams"].as_array().unwrap().len(), 3);
    assert_eq!(b["people"].as_array().unwrap().len(), 4);
}

#[test]
fn dragging_shows_each_occurrence_allowed_or_why_not_and_a_drop_lands_and_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo_ws(dir.path());
    let b = board(&mut ws);
    let qa: Vec<String> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["environment"] == "qa" && i["window_id"].is_null() && i["state"] == "backlog")
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(qa.len() >= 2, "{qa:?}");
    let tuesday = key(occurrence(
        &b,
        "Weekly Linux patching",
        "2026-12-15T21:00:00.000Z",
    ));
    let freeze = key(occurrence(
        &b,
        "Year-end change freeze",
        "2026-12-17T23:00:00.000Z",
    ));
    let frozen_tuesday = key(occurrence(
        &b,
        "Weekly Linux patching",
        "2026-12-22T21:00:00.000Z",
    ));
    let prod = key(occurrence(
        &b,
        "Monthly prod web window",
        "2026-12-13T07:00:00.000Z",
    ));
    let verdicts = call(
        &mut ws,
        "drop_targets",
        json!({"items": &qa[..2], "targets": [tuesday, freeze, frozen_tuesday, prod]}),
    );
    let codes = |v: &Value| -> Vec<String> {
        let mut c: Vec<String> = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["conflicts"].as_array().unwrap().iter())
            .filter(|c| c["hard"] == true)
            .map(|c| c["code"].as_str().unwrap().to_string())
            .collect();
        c.dedup();
        c
    };
    // Each verdict names its occurrence as the board does, so the page can match them by key.
    assert_eq!(verdicts[0]["target"], tuesday);
    assert_eq!(verdicts[1]["target"], freeze);
    // The demo's scans are from 2013: every item is long overdue, so a Tuesday asks for a reason.
    assert_eq!(verdicts[0]["refused"], false);
    assert_eq!(verdicts[0]["needs_confirmation"], true);
    assert_eq!(verdicts[1]["refused"], true);
    assert_eq!(codes(&verdicts[1]), ["not_a_maintenance_window"]);
    assert_eq!(codes(&verdicts[2]), ["in_blackout"]);
    // The prod window is for prod; these are qa.
    assert_eq!(codes(&verdicts[3]), ["out_of_scope"]);

    // Without confirmation nothing moves; with it, both land, in one go.
    let asked = call(
        &mut ws,
        "schedule",
        json!({"items": &qa[..2], "target": tuesday, "reason": "", "confirmed": false}),
    );
    assert_eq!(asked["outcome"], "needs_confirmation");
    let refused = call(
        &mut ws,
        "schedule",
        json!({"items": &qa[..2], "target": freeze, "reason": "try", "confirmed": true}),
    );
    assert_eq!(refused["outcome"], "refused");
    let done = call(
        &mut ws,
        "schedule",
        json!({"items": &qa[..2], "target": tuesday, "reason": "CAB 24 Nov: late, but next window", "confirmed": true}),
    );
    assert_eq!(done["outcome"], "scheduled");
    let b = board(&mut ws);
    let on_tuesday: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["occurrence_start"] == "2026-12-15T21:00:00.000Z")
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(on_tuesday.len(), 2);
    let page = call(&mut ws, "item", json!({"id": qa[0]}));
    let reasons: Vec<&str> = page["detail"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["reason"].as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("CAB 24 Nov: late, but next window (accepted: Ends")),
        "{reasons:?}"
    );
    assert!(page["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "approved"));
    assert!(page["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["code"] == "after_due_date"));

    // Ops promise the fix for that night: the card says so until the item leaves the occurrence.
    call(
        &mut ws,
        "commit",
        json!({"id": qa[0], "person": "Dana Ops", "promise": "patched and rebooted by 02:00"}),
    );
    let card = |b: &Value, id: &str| -> Value {
        b["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    let b = board(&mut ws);
    assert_eq!(
        card(&b, &qa[0])["open_commitment"],
        "patched and rebooted by 02:00"
    );
    assert_eq!(card(&b, &qa[1])["open_commitment"], Value::Null);

    // Back to the backlog: the promise for that night is withdrawn with it.
    call(
        &mut ws,
        "unschedule",
        json!({"items": &qa[..2], "reason": "undo"}),
    );
    let b = board(&mut ws);
    assert_eq!(card(&b, &qa[0])["open_commitment"], Value::Null);
    assert!(b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| qa[..2].contains(&i["id"].as_str().unwrap().to_string()))
        .all(|i| i["window_id"].is_null()));
}

#[test]
fn windows_can_be_previewed_saved_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo_ws(dir.path());
    let spec = json!({
        "name": "DB patch night", "kind": "maintenance", "time_zone": "America/New_York",
        "starts_local": "2026-10-31T23:00:00", "duration_min": 120, "rrule": "FREQ=WEEKLY;BYDAY=SA"
    });
    // From 24 Nov on: Sat 28 Nov 23:00 EST = 04:00 UTC on the 29th, then weekly.
    let preview = call(&mut ws, "preview_window", json!({"spec": spec, "count": 3}));
    let starts: Vec<&str> = preview
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["start_utc"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-11-29T04:00:00.000Z",
            "2026-12-06T04:00:00.000Z",
            "2026-12-13T04:00:00.000Z"
        ]
    );
    assert_eq!(preview[0]["start_local"], "2026-11-28T23:00:00");
    let saved = call(&mut ws, "save_window", json!({"id": null, "spec": spec}));
    let windows = call(&mut ws, "windows", Value::Null);
    assert_eq!(windows.as_array().unwrap().len(), 4);
    call(&mut ws, "delete_window", json!({"id": saved["id"]}));
    assert_eq!(
        call(&mut ws, "windows", Value::Null)
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // The demo places two qa items on the weekly Linux window: it stays, and so do they.
    let linux = call(&mut ws, "windows", Value::Null)
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "Weekly Linux patching")
        .unwrap()["id"]
        .clone();
    let refused = dispatch(&mut ws, "delete_window", json!({"id": linux})).unwrap_err();
    assert!(refused.message.contains("2 item(s) scheduled"), "{refused}");
    assert_eq!(
        board(&mut ws)["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["window_id"] == linux)
            .count(),
        2
    );
    let bad = dispatch(&mut ws, "preview_window", json!({"spec": {"name": "x", "kind": "maintenance", "time_zone": "Mars/Olympus", "starts_local": "2026-10-31T23:00:00", "duration_min": 60}, "count": 3})).unwrap_err();
    assert!(bad.message.contains("Mars/Olympus"), "{bad}");
}

#[test]
fn the_shell_serves_exactly_the_commands_of_the_table() {
    // The desktop shell routes every name of `commands::NAMES` to `dispatch` and registers its
    // own commands (dialogs, the window) separately: none may shadow a table command.
    let lib = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../src-tauri/src/lib.rs"
    ))
    .unwrap();
    assert!(lib.contains("truce_facade::commands::is_command(invoke.message.command())"));
    let shell = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../src-tauri/src/commands.rs"
    ))
    .unwrap();
    for name in NAMES {
        assert!(
            !shell.contains(&format!("pub fn {name}(")),
            "the shell shadows '{name}'"
        );
        assert!(
            !shell.contains(&format!("pub async fn {name}(")),
            "the shell shadows '{name}'"
        );
    }
}

/// The id of the board's first item that `is`; `what` says which, should there be none.
fn first_item(b: &Value, what: &str, is: impl Fn(&Value) -> bool) -> String {
    b["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| is(i))
        .unwrap_or_else(|| panic!("the demo has no {what}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_place_that_cannot_be_checked_is_never_shown_as_free_of_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo_ws(dir.path());
    let b = board(&mut ws);
    let placed = first_item(&b, "scheduled item", |i| i["state"] == "scheduled");
    // What a calendar re-import or a sync can leave behind: a place that is no occurrence of its
    // window (Weekly Linux patching is on Tuesdays; this is a Wednesday).
    ws.conn()
        .execute(
            "UPDATE work_items SET occurrence_start = '2026-12-02T21:00:00Z' WHERE id = ?1",
            [&placed],
        )
        .unwrap();
    let page = call(&mut ws, "item", json!({ "id": placed }));
    let why = page["conflicts_unchecked"]
        .as_str()
        .unwrap_or_else(|| panic!("{page:#}"));
    assert!(why.contains("2026-12-02"), "{why}");
}

#[test]
fn taking_several_items_off_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo_ws(dir.path());
    let b = board(&mut ws);
    let placed = first_item(&b, "scheduled item", |i| i["state"] == "scheduled");
    let waiting = first_item(&b, "backlog", |i| i["window_id"].is_null());
    // The second is on no occurrence: the request is refused, and the first stays where it was.
    let e = dispatch(
        &mut ws,
        "unschedule",
        json!({"items": [&placed, &waiting], "reason": "vendor late"}),
    )
    .unwrap_err();
    assert!(e.message.contains("not scheduled"), "{e}");
    let after = board(&mut ws);
    let still = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == placed.as_str())
        .unwrap();
    assert_eq!(still["state"], "scheduled");
    assert!(!still["window_id"].is_null());
}

fn snapshot(ws: &Workspace, id: &str) -> Value {
    let (state, window, start): (String, Option<String>, Option<String>) = ws
        .conn()
        .query_row(
            "SELECT state, window_id, occurrence_start FROM work_items WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    json!({"id": id, "state": state, "window_id": window, "occurrence_start": start})
}

/// Verdicts of dropping `item` on every occurrence of the board's span.
fn verdicts(ws: &mut Workspace, b: &Value, item: &str) -> Vec<Value> {
    let targets: Vec<Value> = b["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    call(
        ws,
        "drop_targets",
        json!({"items": [item], "targets": targets}),
    )
    .as_array()
    .unwrap()
    .clone()
}

/// Undo is the core's: the whole prior state comes back (an approval too), through the rules.
#[test]
fn undo_puts_an_approved_item_back_where_it_was_and_approved() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo_ws(dir.path());
    let b = board(&mut ws);
    // A scheduled item that may go elsewhere (the demo's ids differ from one demo to the next).
    let scheduled: Vec<String> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["state"] == "scheduled")
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!scheduled.is_empty(), "the demo has scheduled items");
    let (item, elsewhere) = scheduled
        .iter()
        .find_map(|item| {
            let here = snapshot(&ws, item);
            verdicts(&mut ws, &b, item)
                .into_iter()
                .find(|v| {
                    !v["refused"].as_bool().unwrap()
                        && (v["target"]["window_id"] != here["window_id"]
                            || v["target"]["start_utc"] != here["occurrence_start"])
                })
                .map(|v| (item.clone(), v))
        })
        .expect("a scheduled item with another place allowed");
    ws.conn()
        .execute(
            "UPDATE work_items SET state = 'approved' WHERE id = ?1",
            [&item],
        )
        .unwrap();
    let before = snapshot(&ws, &item);
    let moved = call(
        &mut ws,
        "schedule",
        json!({"items": [&item], "target": elsewhere["target"], "reason": "moved", "confirmed": true}),
    );
    assert_eq!(moved["outcome"], "scheduled");
    assert_eq!(snapshot(&ws, &item)["state"], "scheduled");
    // Undo: back on its occurrence, approved, with the reason in its history (a soft conflict
    // there, such as a due date passed, is confirmed as a drop's would be).
    let undone = call(
        &mut ws,
        "restore",
        json!({"items": [&before], "reason": "undo", "confirmed": true}),
    );
    assert_eq!(undone["outcome"], "scheduled", "{undone}");
    assert_eq!(snapshot(&ws, &item), before);
    let last = common::text(
        &ws,
        &format!("SELECT reason FROM change_log WHERE entity = 'work_item' AND entity_id = '{item}' AND field = 'state' ORDER BY seq DESC LIMIT 1"),
    );
    assert!(last.starts_with("undo"), "{last}");
}

/// Putting an item back where it now conflicts waits for a person's confirmation and reason,
/// as a drop does; nothing is written until then.
#[test]
fn undo_onto_a_place_that_now_conflicts_asks_for_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = demo_ws(dir.path());
    let b = board(&mut ws);
    // An unplaced item with a place that needs a reason and another it may go to.
    let backlog: Vec<String> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["window_id"].is_null())
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let (item, soft, other) = backlog
        .iter()
        .find_map(|item| {
            let all = verdicts(&mut ws, &b, item);
            let soft = all.iter().find(|v| {
                v["needs_confirmation"].as_bool().unwrap() && !v["refused"].as_bool().unwrap()
            })?;
            let other = all
                .iter()
                .find(|v| !v["refused"].as_bool().unwrap() && v["target"] != soft["target"])?;
            Some((item.clone(), soft.clone(), other.clone()))
        })
        .expect("an unplaced item with a place that needs a reason and another allowed");
    call(
        &mut ws,
        "schedule",
        json!({"items": [&item], "target": soft["target"], "reason": "CAB agreed", "confirmed": true}),
    );
    let there = snapshot(&ws, &item);
    call(
        &mut ws,
        "schedule",
        json!({"items": [&item], "target": other["target"], "reason": "moved", "confirmed": true}),
    );
    let moved = snapshot(&ws, &item);
    // Going back there needs the confirmation again.
    let asked = call(
        &mut ws,
        "restore",
        json!({"items": [&there], "reason": "undo", "confirmed": false}),
    );
    assert_eq!(asked["outcome"], "needs_confirmation", "{asked}");
    assert_eq!(
        snapshot(&ws, &item),
        moved,
        "nothing written before the confirmation"
    );
    let e = dispatch(
        &mut ws,
        "restore",
        json!({"items": [&there], "reason": " ", "confirmed": true}),
    )
    .unwrap_err();
    assert!(e.message.contains("needs a reason"), "{e}");
    let done = call(
        &mut ws,
        "restore",
        json!({"items": [&there], "reason": "vendor slipped", "confirmed": true}),
    );
    assert_eq!(done["outcome"], "scheduled");
    assert_eq!(snapshot(&ws, &item), there);
    let why = common::text(
        &ws,
        &format!("SELECT reason FROM change_log WHERE entity = 'work_item' AND entity_id = '{item}' AND field IN ('window_id', 'occurrence_start') ORDER BY seq DESC LIMIT 1"),
    );
    assert!(why.starts_with("vendor slipped (accepted: "), "{why}");
}
