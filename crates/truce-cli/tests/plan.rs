//! `truce plan`, `schedule`, `conflicts`, `forecast`: the scheduling engine through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn truce(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
        .env("TRUCE_NOW", "2026-11-23")
        .output()
        .expect("truce runs")
}

fn ok(ws: &Path, args: &[&str]) -> String {
    let out = truce(ws, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(ws: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(ws, args)).unwrap()
}

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/scans")
        .join(rel)
}

/// The qa scan (7 hosts, 5 fixes above info: read from the file) as 5 items, a Tuesday window
/// with room for 2 items, and a 10-day freeze from 18 Dec.
fn workspace(dir: &Path) -> (PathBuf, String, String) {
    let ws = dir.join("w.truce");
    ok(
        &ws,
        &[
            "import",
            corpus("tenable/nessus/nessus_v_unknown.xml")
                .to_str()
                .unwrap(),
        ],
    );
    ok(&ws, &["items", "regroup"]);
    let tuesday = json(
        &ws,
        &[
            "windows",
            "add",
            "--name",
            "Tuesday patching",
            "--zone",
            "Europe/Berlin",
            "--start",
            "2026-11-24T22:00",
            "--duration",
            "4h",
            "--rrule",
            "FREQ=WEEKLY;BYDAY=TU",
            "--max-items",
            "2",
            "--json",
        ],
    );
    json(
        &ws,
        &[
            "windows",
            "add",
            "--name",
            "Freeze",
            "--kind",
            "blackout",
            "--zone",
            "Europe/Berlin",
            "--start",
            "2026-12-18T00:00",
            "--duration",
            "240h",
            "--json",
        ],
    );
    let items = json(&ws, &["items", "--json"]);
    let first = items[0]["id"].as_str().unwrap().to_string();
    (ws, tuesday["id"].as_str().unwrap().to_string(), first)
}

#[test]
fn plan_subcommands_have_help() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    for sub in ["plan", "schedule", "conflicts", "forecast"] {
        let out = ok(&ws, &[sub, "--help"]);
        assert!(out.contains("Usage: truce"), "{sub}: {out}");
    }
}

#[test]
fn a_drop_into_the_freeze_is_refused_with_its_reason_and_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, tuesday, item) = workspace(dir.path());
    let out = truce(
        &ws,
        &[
            "schedule",
            &item,
            "--window",
            &tuesday,
            "--start",
            "2026-12-22T21:00:00Z",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"], "refused");
    let conflicts = v["checks"][0]["conflicts"].as_array().unwrap();
    let freeze = conflicts
        .iter()
        .find(|c| c["code"] == "in_blackout")
        .expect("in_blackout");
    assert_eq!(freeze["hard"], true);
    assert!(freeze["message"].as_str().unwrap().contains("“Freeze”"));
    // Soft conflicts only on 1 Dec: refused without --confirm, placed with it.
    let args = [
        "schedule",
        &item,
        "--window",
        &tuesday,
        "--start",
        "2026-12-01T21:00:00Z",
    ];
    assert_eq!(truce(&ws, &args).status.code(), Some(3));
    let mut confirmed = args.to_vec();
    confirmed.extend(["--confirm", "--reason", "CAB agreed"]);
    assert!(ok(&ws, &confirmed).contains("scheduled 1 item(s)"));
    let items = json(&ws, &["items", "--json"]);
    assert_eq!(items[0]["state"], "scheduled");
    assert_eq!(items[0]["window_id"].as_str(), Some(tuesday.as_str()));
}

#[test]
fn auto_plan_proposes_then_accepts_and_the_plan_has_no_refused_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _, _) = workspace(dir.path());
    let proposal = json(&ws, &["plan", "--auto", "--days", "60", "--json"]);
    let placements = proposal["placements"].as_array().unwrap();
    assert_eq!(placements.len(), 5);
    assert_eq!(proposal["unplaced"].as_array().unwrap().len(), 0);
    // Nothing is written by a proposal.
    assert!(ok(&ws, &["conflicts"]).contains("no conflicts in the plan"));
    // Every place is after its item's due date: without a reason nothing is scheduled and the
    // five are listed, as five drops would ask.
    let waiting = json(
        &ws,
        &["plan", "--auto", "--accept", "--days", "60", "--json"],
    );
    assert_eq!(waiting["scheduled"].as_array().unwrap().len(), 0);
    assert_eq!(waiting["needs_reason"].as_array().unwrap().len(), 5);
    assert!(ok(&ws, &["plan", "--auto", "--accept", "--days", "60"])
        .contains("5 item(s) need a reason (accept them with --reason)"));
    let accepted = json(
        &ws,
        &[
            "plan",
            "--auto",
            "--accept",
            "--days",
            "60",
            "--reason",
            "CAB: overdue, next nights",
            "--json",
        ],
    );
    assert_eq!(accepted["scheduled"].as_array().unwrap().len(), 5);
    let conflicts = json(&ws, &["conflicts", "--json"]);
    let all: Vec<&Value> = conflicts
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["conflicts"].as_array().unwrap())
        .collect();
    assert!(!all.is_empty());
    assert!(all.iter().all(|c| c["hard"] == false), "{all:?}");
    let weeks = json(&ws, &["forecast", "--weeks", "4", "--json"]);
    let open: Vec<u64> = weeks
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["open_items"].as_u64().unwrap())
        .collect();
    assert_eq!(open, [5, 3, 1, 0]);
}

#[test]
fn a_closed_pipe_ends_the_listing_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _, _) = workspace(dir.path());
    // `truce windows occurrences ... | head -c 1` over 20 years (more than a pipe holds): the
    // reader goes away after one byte.
    let mut child = Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(&ws)
        .args([
            "windows",
            "occurrences",
            "--from",
            "2026-01-01",
            "--to",
            "2045-12-31",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    std::io::Read::read_exact(&mut out, &mut one).unwrap();
    drop(out);
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_linux_window_from_a_calendar_takes_only_the_items_of_linux_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    // Read from the file: hosts .246, .247 and .249 report Windows (2008 R2, 2012), .243, .245
    // and .250 "Ubuntu / Tiny Core Linux / Linux 2.6.x", .244 "Linux 2.4-2.6 / ... / F5".
    ok(
        &ws,
        &[
            "import",
            corpus("qualys/Qualys_Sample_Report.xml").to_str().unwrap(),
        ],
    );
    ok(&ws, &["items", "regroup"]);
    // An ops calendar that says nothing of hosts, as Outlook or Google write one.
    let ics = dir.path().join("ops.ics");
    std::fs::write(
        &ics,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ops//EN\r\nBEGIN:VEVENT\r\nUID:linux-weekly\r\n\
         DTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly Linux patching\r\nDTSTART:20261124T210000Z\r\n\
         DURATION:PT4H\r\nRRULE:FREQ=WEEKLY;BYDAY=TU\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    .unwrap();
    ok(&ws, &["windows", "import", ics.to_str().unwrap()]);
    let windows = json(&ws, &["windows", "list", "--json"]);
    assert_eq!(windows[0]["asset_tags"], serde_json::json!(["os:linux"]));
    let items = json(&ws, &["items", "--json"]);
    let os_of = |id: &str| -> String {
        let item = items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap();
        let key = item["group_key"].as_str().unwrap();
        key.rsplit_once("os=").map_or("", |(_, os)| os).to_string()
    };
    let proposal = json(&ws, &["plan", "--auto", "--days", "60", "--json"]);
    let placed: Vec<String> = proposal["placements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| os_of(p["item_id"].as_str().unwrap()))
        .collect();
    assert!(!placed.is_empty());
    assert!(
        placed.iter().all(|os| os == "ubuntu" || os == "linux"),
        "{placed:?}"
    );
    let unplaced: Vec<&Value> = proposal["unplaced"].as_array().unwrap().iter().collect();
    let windows_items: Vec<&&Value> = unplaced
        .iter()
        .filter(|u| os_of(u["item_id"].as_str().unwrap()) == "windows")
        .collect();
    assert!(!windows_items.is_empty(), "{unplaced:?}");
    // A drop says why, in words.
    let item = windows_items[0]["item_id"].as_str().unwrap();
    let window = windows[0]["id"].as_str().unwrap();
    let out = truce(
        &ws,
        &[
            "schedule",
            item,
            "--window",
            window,
            "--start",
            "2026-12-01T21:00:00Z",
            "--check",
            "--json",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let scope = v["checks"][0]["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "out_of_scope")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert!(
        scope["message"].as_str().unwrap().contains("os:linux"),
        "{scope}"
    );
}
