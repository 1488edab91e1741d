//! One write path: every row written to a shared table is in the change log. Proved by replay:
//! a copy of the workspace taken before a seeded random run of commands, given only the change
//! records the run wrote, ends with the same rows as the workspace itself.

#[path = "../../truce-core/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::json;
use truce_core::changes::{self, RECORDED, UNRECORDED};
use truce_core::{demo, Workspace};
use truce_facade::commands::dispatch;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
}

/// Every recorded table's rows, in a fixed order. Memberships of items nobody pinned are the
/// grouping rules applied to recorded findings (see `changes`): only pinned items' are compared.
fn rows(conn: &Connection) -> BTreeMap<String, Vec<Vec<Sql>>> {
    let mut all = BTreeMap::new();
    for (table, _) in RECORDED {
        let sql = if *table == "work_item_findings" {
            "SELECT m.* FROM work_item_findings m JOIN work_items w ON w.id = m.work_item_id
             WHERE w.pinned ORDER BY 1, 2"
                .to_string()
        } else {
            let n: usize = conn
                .query_row(
                    &format!("SELECT count(*) FROM pragma_table_info('{table}')"),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let order: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
            format!("SELECT * FROM {table} ORDER BY {}", order.join(", "))
        };
        let mut stmt = conn.prepare(&sql).unwrap();
        let width = stmt.column_count();
        let got: Vec<Vec<Sql>> = stmt
            .query_map([], |r| (0..width).map(|i| r.get::<_, Sql>(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        all.insert(table.to_string(), got);
    }
    all
}

/// A small deterministic generator: the run is the same on every machine, and a failure names
/// its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> Option<&'a T> {
        (!from.is_empty()).then(|| &from[(self.next() % from.len() as u64) as usize])
    }
}

fn ids(ws: &Workspace, sql: &str) -> Vec<String> {
    common::texts(ws, sql)
}

/// One random command with arguments drawn from the workspace as it is. Refusals are fine (a
/// refused command writes nothing); what is written must be recorded.
fn step(ws: &mut Workspace, rng: &mut Rng, dir: &std::path::Path, i: usize) {
    let items = ids(ws, "SELECT id FROM work_items ORDER BY id");
    let people = ids(ws, "SELECT id FROM people ORDER BY id");
    let assets = ids(ws, "SELECT id FROM assets ORDER BY id");
    let item = rng.pick(&items).cloned().unwrap_or_default();
    let (name, args) = match rng.next() % 14 {
        0 => ("auto_plan", json!({"days": 60})),
        1 => (
            "accept",
            json!({"items": null, "days": 60, "reason": "agreed at the CAB"}),
        ),
        2 => {
            let b = dispatch(
                ws,
                "board",
                json!({"from": "2026-11-30", "to": "2027-01-31"}),
            )
            .unwrap();
            let occ = b["occurrences"].as_array().unwrap().clone();
            let Some(o) = rng.pick(&occ) else { return };
            (
                "schedule",
                json!({"items": [item], "target": {"window_id": o["window_id"], "start_utc": o["start_utc"]},
                       "reason": "fits", "confirmed": true}),
            )
        }
        3 => ("unschedule", json!({"items": [item], "reason": "moved"})),
        4 => {
            let to = *rng
                .pick(&[
                    "proposed",
                    "scheduled",
                    "approved",
                    "in_progress",
                    "done",
                    "deferred",
                    "backlog",
                ])
                .unwrap();
            (
                "transition",
                json!({"id": item, "to": to, "reason": "step"}),
            )
        }
        5 => (
            "assign",
            json!({"id": item, "ops_owner": rng.pick(&people), "security_owner": null, "approver": rng.pick(&people), "reason": "owner"}),
        ),
        6 => (
            "request_exception",
            json!({"id": item, "justification": "vendor patch pending", "compensating_control": "WAF rule", "expires_at": "2026-12-20"}),
        ),
        7 => {
            let pending = ids(ws, "SELECT id FROM exceptions WHERE state = 'requested'");
            let Some(p) = rng.pick(&people) else { return };
            let _ = dispatch(ws, "sign_in", json!({"person": p}));
            (
                "decide_exception",
                json!({"id": rng.pick(&pending), "approve": rng.next() % 2 == 0, "reason": "decided"}),
            )
        }
        8 => (
            "split_item",
            json!({"id": item, "by": "asset", "reason": "one host at a time"}),
        ),
        9 => {
            let other = rng.pick(&items).cloned().unwrap_or_default();
            (
                "merge_items",
                json!({"into": item, "from": [other], "reason": "same fix"}),
            )
        }
        10 => (
            "set_asset_facts",
            json!({"assets": [rng.pick(&assets)], "environment": rng.pick(&["prod", "qa"]), "criticality": "high",
                   "internet_facing": rng.next() % 2 == 0, "ha_group": null, "add_tags": ["pci"], "remove_tags": []}),
        ),
        11 => {
            let spec = json!({"name": format!("Window {i}"), "kind": "maintenance", "description": null,
                "time_zone": "Europe/Berlin", "starts_local": "2026-12-02T22:00:00", "duration_min": 120,
                "rrule": "FREQ=WEEKLY;BYDAY=WE", "exdates": null, "rdates": null, "exrule": null, "environments": null,
                "asset_tags": null, "teams": null, "max_assets": null, "max_items": 3});
            ("save_window", json!({"id": null, "spec": spec}))
        }
        12 => (
            "add_person",
            json!({"name": format!("Person {i}"), "email": null, "team": null}),
        ),
        _ => {
            // Imports of scans the demo does not hold: new assets, findings, vulnerabilities.
            let file = *rng
                .pick(&["issue_6992.nessus", "nessus_with_cwe-.nessus"])
                .unwrap();
            let src = common::corpus(&format!("tenable/nessus/{file}"));
            let copy = dir.join(format!("rescan-{i}.nessus"));
            std::fs::copy(src, &copy).unwrap();
            let _ = truce_core::ingest::import_file(ws, &copy, None);
            return;
        }
    };
    let _ = dispatch(ws, name, args);
}

#[test]
fn every_table_is_recorded_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let ws = common::fresh(dir.path());
    let tables = common::texts(
        &ws,
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
    );
    for t in &tables {
        let recorded = RECORDED.iter().any(|(n, _)| n == t);
        let exempt = UNRECORDED.iter().any(|(n, _)| n == t);
        assert!(
            recorded != exempt,
            "table {t}: recorded {recorded}, unrecorded {exempt}"
        );
    }
    // Every recorded table has its triggers (inserts in bulk are recorded by their one writer).
    for (t, _) in RECORDED {
        let n = common::scalar(
            &ws,
            &format!("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'record_{t}_%'"),
        );
        let want = if truce_core::changes::INSERTED_IN_BULK.contains(t) {
            2
        } else {
            3
        };
        assert!(n >= want, "{t}: {n} recording triggers");
    }
}

#[test]
fn a_replay_of_the_log_rebuilds_every_recorded_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.truce");
    demo::create_demo(
        &path,
        std::sync::Arc::new(truce_core::clock::SetClock::at(now())),
    )
    .unwrap();
    let mut ws = common::open_at(&path, now());
    let before = dir.path().join("before.truce");
    ws.conn()
        .execute("VACUUM INTO ?1", [before.to_str().unwrap()])
        .unwrap();
    let seq: i64 = common::scalar(&ws, "SELECT coalesce(max(seq), 0) FROM change_log");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for i in 0..60 {
        step(&mut ws, &mut rng, dir.path(), i);
    }
    let after = rows(ws.conn());
    let log = changes::since(ws.conn(), seq).unwrap();
    assert!(
        log.len() > 100,
        "the run changed little: {} records",
        log.len()
    );

    // The copy, without Truce's functions: its recording triggers go first, as a hub's would.
    let replica = Connection::open(&before).unwrap();
    replica.pragma_update(None, "foreign_keys", true).unwrap();
    changes::remove(&replica).unwrap();
    let untouched = rows(&replica);
    changes::replay(&replica, &log).unwrap();
    let replayed = rows(&replica);
    for (table, want) in &after {
        assert_eq!(
            replayed[table].len(),
            want.len(),
            "{table}: {} rows replayed, {} in the workspace",
            replayed[table].len(),
            want.len()
        );
        assert_eq!(&replayed[table], want, "{table} differs after the replay");
    }
    // The run did change the shared tables (the comparison above is not of two equal copies).
    let changed: Vec<&String> = after
        .keys()
        .filter(|t| untouched[*t] != after[*t])
        .collect();
    assert!(changed.len() >= 6, "only {changed:?} changed");
}

#[test]
fn a_write_outside_truce_cannot_skip_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.truce");
    drop(common::fresh(dir.path()));
    let ws = Workspace::open(&path).unwrap();
    drop(ws);
    // An SQLite shell has no truce_* functions: the recording trigger fails, and so does the write.
    let raw = Connection::open(&path).unwrap();
    let err = raw
        .execute(
            "INSERT INTO teams (id, name, kind) VALUES ('t', 'Rogue', 'ops')",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("truce_"), "{err}");
    let n: i64 = raw
        .query_row("SELECT count(*) FROM teams", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn records_carry_the_workspace_clock_and_the_hybrid_clock_never_goes_back() {
    let dir = tempfile::tempdir().unwrap();
    drop(common::fresh(dir.path()));
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let clock = truce_core::clock::SetClock::at(t0);
    let mut ws = Workspace::open_with(
        dir.path().join("w.truce"),
        truce_core::workspace::OpenOptions {
            clock: std::sync::Arc::new(clock.clone()),
            ..truce_core::workspace::OpenOptions::default()
        },
    )
    .unwrap();
    truce_core::planning::people::add_team(&mut ws, "Linux Ops", "ops").unwrap();
    // The system clock is set back an hour (an NTP correction): records keep their order.
    clock.set(t0 - chrono::Duration::hours(1));
    truce_core::planning::people::add_team(&mut ws, "Windows Ops", "ops").unwrap();
    let rows: Vec<(String, i64, String)> = ws
        .conn()
        .prepare("SELECT at, hlc, device FROM change_log WHERE entity = 'team' ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows[0].0, "2026-03-01T12:00:00.000Z");
    assert_eq!(
        rows[1].0, "2026-03-01T11:00:00.000Z",
        "the time is what the clock said"
    );
    assert!(
        rows[1].1 > rows[0].1,
        "the hybrid clock went back: {rows:?}"
    );
    assert_eq!(rows[0].1 >> 16, t0.timestamp_millis());
    assert_eq!(rows[0].2, ws.ctx().device());
    // A workspace opened again resumes after the last value it gave out.
    drop(ws);
    let ws = common::open_at(&dir.path().join("w.truce"), t0 - chrono::Duration::days(1));
    let mut ws = ws;
    truce_core::planning::people::add_team(&mut ws, "Network", "ops").unwrap();
    let last: i64 = common::scalar(&ws, "SELECT hlc FROM change_log ORDER BY seq DESC LIMIT 1");
    assert!(last > rows[1].1);
}

/// The core reads no wall clock and no OS user of its own: time and actor come from the
/// workspace's context. Only `clock.rs` and `here.rs` (what a caller opens a workspace with) may.
#[test]
fn the_core_asks_its_context_for_time_and_actor() {
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut offenders = Vec::new();
    for krate in ["truce-core", "truce-facade"] {
        for (name, text) in common::rust_sources(&crates.join(krate).join("src")) {
            if name == "clock.rs" || name == "here.rs" {
                continue;
            }
            for needle in [
                "Utc::now",
                "Local::now",
                "SystemTime::now",
                "\"USER\"",
                "\"LOGNAME\"",
            ] {
                if text.contains(needle) {
                    offenders.push(format!("{krate}/{name}: {needle}"));
                }
            }
            // Nor does it change what it writes by the environment (an experiment's switch
            // that skipped the log once reached a commit): only where a caller's surroundings
            // are read may it look.
            let may_read_env = ["workspace.rs", "recent.rs", "bindings.rs"];
            if text.contains("env::var") && !may_read_env.contains(&name.as_str()) {
                offenders.push(format!("{krate}/{name}: env::var"));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

/// Two copies of one workspace (two laptops of a team) that import the same scan hold the same
/// ids for the same assets, vulnerabilities and findings; another workspace does not.
#[test]
fn the_same_scan_gives_the_same_ids_in_copies_of_a_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.truce");
    let ws = Workspace::open(&a).unwrap();
    ws.conn()
        .execute(
            "VACUUM INTO ?1",
            [dir.path().join("b.truce").to_str().unwrap()],
        )
        .unwrap();
    drop(ws);
    let scan = common::corpus("tenable/nessus/nessus_with_cvssv3.nessus");
    let ids = |path: &std::path::Path| {
        let mut ws = Workspace::open(path).unwrap();
        truce_core::ingest::import_file(&mut ws, &scan, None).unwrap();
        let all = common::texts(
            &ws,
            "SELECT id FROM assets UNION ALL SELECT id FROM vulnerabilities UNION ALL SELECT id FROM findings ORDER BY 1",
        );
        assert!(all.len() > 10, "{} ids", all.len());
        all
    };
    let (on_a, on_b) = (ids(&a), ids(&dir.path().join("b.truce")));
    assert_eq!(on_a, on_b);
    let elsewhere = ids(&dir.path().join("c.truce"));
    assert!(elsewhere.iter().all(|id| !on_a.contains(id)));
}
