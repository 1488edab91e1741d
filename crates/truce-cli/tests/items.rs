//! `truce items`, `teams`, `owners`, `sla`: the planning engine through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn truce(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
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

fn refused(ws: &Path, args: &[&str]) -> String {
    let out = truce(ws, args);
    assert!(!out.status.success(), "{args:?} was accepted");
    String::from_utf8(out.stderr).unwrap()
}

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/scans")
        .join(rel)
}

#[test]
fn planning_subcommands_have_help() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    for sub in [
        &["items", "--help"][..],
        &["items", "regroup", "--help"],
        &["items", "show", "--help"],
        &["items", "transition", "--help"],
        &["items", "assign", "--help"],
        &["teams", "--help"],
        &["owners", "--help"],
        &["sla", "--help"],
    ] {
        assert!(ok(&ws, sub).contains("Usage: truce"), "{sub:?}");
    }
}

#[test]
fn regroup_list_assign_transition_and_show_history() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    ok(
        &ws,
        &[
            "import",
            corpus("tenable/nessus/nessus_v_unknown.xml")
                .to_str()
                .unwrap(),
        ],
    );
    // Read from the file: 5 distinct solutions among its non-info findings (4 on 7 hosts, 1 on 2).
    let preview = ok(&ws, &["items", "regroup", "--preview", "--json"]);
    let p: serde_json::Value = serde_json::from_str(&preview).unwrap();
    assert_eq!(
        (
            p["preview"].as_bool(),
            p["created"].as_array().unwrap().len()
        ),
        (Some(true), 5)
    );
    let listed: serde_json::Value = serde_json::from_str(&ok(&ws, &["items", "--json"])).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        0,
        "a preview changes nothing"
    );
    assert!(ok(&ws, &["items", "regroup"]).contains("created 5 items"));
    assert!(ok(&ws, &["items", "regroup"]).contains("created 0 items; 0 findings joined"));
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&ws, &["items", "list", "--json"])).unwrap();
    let items = listed.as_array().unwrap();
    let mut sizes: Vec<u64> = items
        .iter()
        .map(|i| i["findings"].as_u64().unwrap())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [2, 7, 7, 7, 7]);
    assert!(items
        .iter()
        .all(|i| i["state"] == "backlog" && i["due_at"].is_string() && i["sla"].is_string()));

    ok(&ws, &["teams", "add", "Linux Ops"]);
    for name in ["Dana", "Sam", "Carla"] {
        ok(&ws, &["teams", "add-person", name, "--team", "Linux Ops"]);
    }
    assert!(ok(&ws, &["teams", "list"]).contains("Carla"));
    let id = items[0]["id"].as_str().unwrap();
    let short = &id[id.len() - 8..];
    ok(
        &ws,
        &[
            "items",
            "assign",
            short,
            "--ops",
            "Dana",
            "--security",
            "Sam",
            "--approver",
            "Carla",
        ],
    );
    assert!(refused(&ws, &["items", "assign", short, "--approver", "Dana"]).contains("approve"));
    ok(
        &ws,
        &[
            "items",
            "transition",
            short,
            "proposed",
            "--reason",
            "ready",
            "--as",
            "Dana",
        ],
    );
    assert!(refused(
        &ws,
        &["items", "transition", short, "done", "--reason", "skip"]
    )
    .contains("cannot become done"));
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&ws, &["items", "show", id, "--json"])).unwrap();
    assert_eq!(shown["item"]["state"], "proposed");
    assert_eq!(shown["item"]["ops_owner"]["name"], "Dana");
    let history = shown["history"].as_array().unwrap();
    assert!(history.iter().any(|h| h["field"] == "state"
        && h["new_value"] == "proposed"
        && h["actor"] == "Dana"
        && h["reason"] == "ready"));
    assert!(ok(&ws, &["items", "show", short]).contains("history:"));
    let m: serde_json::Value =
        serde_json::from_str(&ok(&ws, &["items", "metrics", "--json"])).unwrap();
    // Nothing fixed yet; every planned finding (30) is open, in items without a team.
    assert!(m["sla_compliance"].is_null());
    assert_eq!(m["open_risk_by_team"][0]["open_findings"], 30);
}

#[test]
fn owners_and_sla_are_set_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    ok(
        &ws,
        &[
            "import",
            corpus("tenable/nessus/nessus_v_unknown.xml")
                .to_str()
                .unwrap(),
        ],
    );
    ok(&ws, &["teams", "add", "Windows Ops"]);
    ok(&ws, &["teams", "add", "Linux Ops"]);
    ok(
        &ws,
        &[
            "owners",
            "add",
            "hostname",
            "qa3app01",
            "--team",
            "Windows Ops",
        ],
    );
    ok(
        &ws,
        &[
            "owners",
            "add",
            "hostname",
            "qa3app*",
            "--team",
            "Linux Ops",
        ],
    );
    assert!(refused(
        &ws,
        &[
            "owners",
            "add",
            "cidr",
            "10.0.0.0/99",
            "--team",
            "Linux Ops"
        ]
    )
    .contains("CIDR"));
    assert_eq!(
        ok(&ws, &["owners", "list"]),
        "1. hostname qa3app01 -> Windows Ops\n2. hostname qa3app* -> Linux Ops\n"
    );
    ok(&ws, &["items", "regroup"]);
    // A rule change previewed, then saved: without the team split, one item per fix again (5).
    let p: serde_json::Value = serde_json::from_str(&ok(
        &ws,
        &[
            "items",
            "regroup",
            "--preview",
            "--by-team",
            "off",
            "--json",
        ],
    ))
    .unwrap();
    assert!(p["left"].as_u64().unwrap() > 0);
    assert!(ok(&ws, &["items", "regroup", "--by-team", "off"]).contains("; 5 items"));
    ok(&ws, &["items", "regroup", "--by-team", "on"]);
    let listed: serde_json::Value = serde_json::from_str(&ok(&ws, &["items", "--json"])).unwrap();
    let teams: std::collections::BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["team"].as_str().unwrap())
        .collect();
    assert_eq!(
        teams.into_iter().collect::<Vec<_>>(),
        ["Linux Ops", "Windows Ops"]
    );

    // Without rules, nobody owns the assets any more: one item per fix again.
    ok(&ws, &["owners", "delete", "1"]);
    assert_eq!(
        ok(&ws, &["owners", "list"]),
        "1. hostname qa3app* -> Linux Ops\n"
    );
    ok(&ws, &["owners", "delete", "1"]);
    assert!(refused(&ws, &["owners", "delete", "1"]).contains("no ownership rule"));
    assert!(ok(&ws, &["items", "regroup"]).contains("; 5 items"));

    let policies: serde_json::Value =
        serde_json::from_str(&ok(&ws, &["sla", "show", "--json"])).unwrap();
    let high = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["scope"] == "severity" && p["value"] == "high")
        .unwrap();
    assert_eq!(high["days"], 30);
    ok(&ws, &["sla", "set", "severity", "high", "21"]);
    assert!(ok(&ws, &["sla"]).contains("high        21 days"));
    assert!(refused(&ws, &["sla", "set", "weather", "rain", "3"]).contains("SLA scope"));
}

/// Once planning is in use, an import files its new findings into work items, as the app's does.
#[test]
fn an_import_into_a_planned_workspace_files_new_findings_into_items() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let nessus = corpus("tenable/nessus/nessus_v_unknown.xml");
    // Before any regroup, planning is not in use: an import leaves items alone.
    let first = ok(&ws, &["import", nessus.to_str().unwrap()]);
    assert!(!first.contains("work items:"), "{first}");
    assert!(ok(&ws, &["items", "regroup"]).contains("created 5 items"));
    // Read from the file: Trivy reports curl fixed in 7.81.0-1ubuntu1.15 and certifi in 2023.7.22.
    let trivy = corpus("trivy/cvss_severity_source.json");
    let out = ok(&ws, &["import", trivy.to_str().unwrap()]);
    assert!(out.contains("work items: "), "{out}");
    let listed: serde_json::Value = serde_json::from_str(&ok(&ws, &["items", "--json"])).unwrap();
    let actions: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    for upgrade in [
        "Upgrade curl to 7.81.0-1ubuntu1.15",
        "Upgrade certifi to 2023.7.22",
    ] {
        assert!(actions.contains(&upgrade), "{upgrade} in {actions:?}");
    }
    // `--json` keeps to one report per file.
    let again = ok(&ws, &["import", "--json", trivy.to_str().unwrap()]);
    assert_eq!(again.lines().count(), 1, "{again}");
    serde_json::from_str::<serde_json::Value>(again.trim()).unwrap();
}

/// The id of the only item with state `state` in `truce items --json`.
fn item_in(ws: &Path, state: &str) -> String {
    let listed: serde_json::Value = serde_json::from_str(&ok(ws, &["items", "--json"])).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["state"] == state)
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    ids.first().expect("an item in that state").to_string()
}

#[test]
fn changes_are_recorded_as_the_person_signed_in_here_and_only_a_person_approves() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let report = corpus("tenable/nessus/nessus_v_unknown.xml");
    ok(&ws, &["import", report.to_str().unwrap()]);
    ok(&ws, &["items", "regroup"]);
    ok(&ws, &["teams", "add", "Linux Ops"]);
    for name in ["Dana", "Carla"] {
        ok(&ws, &["teams", "add-person", name, "--team", "Linux Ops"]);
    }
    assert!(ok(&ws, &["whoami"]).contains("nobody is signed in"));
    let window: serde_json::Value = serde_json::from_str(&ok(
        &ws,
        &[
            "windows",
            "add",
            "--name",
            "Tuesdays",
            "--zone",
            "UTC",
            "--start",
            "2030-01-08T22:00",
            "--duration",
            "4h",
            "--rrule",
            "FREQ=WEEKLY",
            "--json",
        ],
    ))
    .unwrap();
    let window = window["id"].as_str().unwrap().to_string();
    let schedule = |id: &str, reason: &str| {
        ok(
            &ws,
            &[
                "schedule",
                id,
                "--window",
                &window,
                "--start",
                "2030-01-08T22:00:00.000Z",
                "--confirm",
                "--reason",
                reason,
            ],
        );
    };
    let id = item_in(&ws, "backlog");
    // Nobody signed in: the OS user schedules, but cannot approve.
    schedule(&id, "ready");
    let e = refused(
        &ws,
        &["items", "transition", &id, "approved", "--reason", "ok"],
    );
    assert!(e.contains("only a person can approve"), "{e}");
    // --as must name a person of the workspace.
    let e = refused(
        &ws,
        &[
            "--as",
            "Mallory",
            "items",
            "transition",
            &id,
            "approved",
            "--reason",
            "ok",
        ],
    );
    assert!(e.contains("no person 'Mallory'"), "{e}");
    assert!(refused(&ws, &["sign-in", "Mallory"]).contains("no person 'Mallory'"));

    assert!(ok(&ws, &["sign-in", "dana"]).contains("signed in as Dana"));
    assert!(ok(&ws, &["whoami"]).starts_with("Dana ("));
    // Dana sends it back and proposes it again: now it is her request, which she cannot approve.
    ok(
        &ws,
        &["items", "transition", &id, "backlog", "--reason", "again"],
    );
    schedule(&id, "mine now");
    let e = refused(
        &ws,
        &["items", "transition", &id, "approved", "--reason", "self"],
    );
    assert!(e.contains("Dana requested this change"), "{e}");
    ok(
        &ws,
        &[
            "--as",
            "Carla",
            "items",
            "transition",
            &id,
            "approved",
            "--reason",
            "CAB ok",
        ],
    );

    let shown: serde_json::Value =
        serde_json::from_str(&ok(&ws, &["items", "show", &id, "--json"])).unwrap();
    assert_eq!(shown["item"]["state"], "approved");
    let by = |reason: &str| {
        shown["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["reason"].as_str().is_some_and(|r| r.starts_with(reason)))
            .map(|h| h["actor"].as_str().unwrap().to_string())
    };
    assert_eq!(by("mine now").as_deref(), Some("Dana"));
    assert_eq!(by("CAB ok").as_deref(), Some("Carla"));
    assert!(ok(&ws, &["sign-out"]).contains("signed out"));
    assert!(ok(&ws, &["whoami"]).contains("nobody is signed in"));
}

fn ok_at(ws: &Path, now: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
        .env("TRUCE_NOW", now)
        .output()
        .expect("truce runs");
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8(out.stderr).unwrap())
    }
}

#[test]
fn an_exception_is_asked_for_within_the_policy_and_decided_by_someone_else() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let report = corpus("tenable/nessus/nessus_v_unknown.xml");
    ok(&ws, &["import", report.to_str().unwrap()]);
    ok(&ws, &["items", "regroup"]);
    ok(&ws, &["teams", "add", "Security", "--kind", "security"]);
    for name in ["Sam", "Dana"] {
        ok(&ws, &["teams", "add-person", name, "--team", "Security"]);
    }
    let listed: serde_json::Value = serde_json::from_str(&ok(&ws, &["items", "--json"])).unwrap();
    let items = listed.as_array().unwrap();
    let (first, second) = (
        items[0]["id"].as_str().unwrap(),
        items[1]["id"].as_str().unwrap(),
    );
    // The migration's default policy, by the worst severity in the item.
    let max_days = match items[0]["severity"].as_str().unwrap() {
        "critical" => 30,
        "high" => 90,
        "medium" => 180,
        _ => 365,
    };
    let now = "2027-01-10T09:00:00.000Z";
    let ask = |who: &str, item: &str, expires: &str| {
        ok_at(
            &ws,
            now,
            &[
                "--as",
                who,
                "exceptions",
                "request",
                item,
                "--justification",
                "legacy app, WAF in front",
                "--expires",
                expires,
            ],
        )
    };
    let e = ask("Sam", first, "2027-01-09").unwrap_err();
    assert!(e.contains("2027-01-09 is not in the future"), "{e}");
    let e = ask("Sam", first, "2100-01-01").unwrap_err();
    assert!(e.contains(&format!("for {max_days} days at most")), "{e}");
    let e = ask("nobody", first, "2027-01-20").unwrap_err();
    assert!(e.contains("no person 'nobody'"), "{e}");
    let asked = ask("Sam", first, "2027-01-20").unwrap();
    let id = asked.split_whitespace().nth(1).unwrap().to_string();
    assert!(ask("Sam", first, "2027-01-21")
        .unwrap_err()
        .contains("already awaiting approval"));

    let e = ok_at(
        &ws,
        now,
        &[
            "--as",
            "Sam",
            "exceptions",
            "approve",
            &id,
            "--reason",
            "fine",
        ],
    )
    .unwrap_err();
    assert!(
        e.contains("Sam asked for this exception and cannot approve it"),
        "{e}"
    );
    ok_at(
        &ws,
        now,
        &[
            "--as",
            "Dana",
            "exceptions",
            "approve",
            &id,
            "--reason",
            "until the migration",
        ],
    )
    .unwrap();
    let rows: serde_json::Value = serde_json::from_str(
        &ok_at(
            &ws,
            now,
            &["exceptions", "list", "--expiring", "30", "--json"],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let row = &rows[0];
    assert_eq!(
        (
            row["state"].as_str(),
            row["requested_by"].as_str(),
            row["decided_by"].as_str()
        ),
        (Some("approved"), Some("Sam"), Some("Dana"))
    );
    assert_eq!(row["expires_at"], "2027-01-20T23:59:59.000Z");
    assert_eq!(row["item_id"].as_str(), Some(first));
    let none: serde_json::Value = serde_json::from_str(
        &ok_at(
            &ws,
            now,
            &["exceptions", "list", "--expiring", "5", "--json"],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(none, serde_json::json!([]), "it ends in 10 days");
    let open_findings = |when: &str| -> u64 {
        let shown: serde_json::Value =
            serde_json::from_str(&ok_at(&ws, when, &["items", "show", first, "--json"]).unwrap())
                .unwrap();
        shown["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == "open")
            .count() as u64
    };
    assert_eq!(open_findings(now), 0, "risk accepted while in force");
    // Its findings stay together while the exception stands: no split, no merge away.
    let e = refused(&ws, &["items", "split", first, "--by", "asset"]);
    assert!(
        e.contains("exception awaiting a decision or in force"),
        "{e}"
    );
    // The last day the policy allows is accepted as a whole day; the day after is not.
    let third = items[2]["id"].as_str().unwrap();
    let third_max = match items[2]["severity"].as_str().unwrap() {
        "critical" => 30,
        "high" => 90,
        "medium" => 180,
        _ => 365,
    };
    let last_day = (chrono::NaiveDate::from_ymd_opt(2027, 1, 10).unwrap()
        + chrono::Duration::days(third_max))
    .to_string();
    let day_after = (chrono::NaiveDate::from_ymd_opt(2027, 1, 11).unwrap()
        + chrono::Duration::days(third_max))
    .to_string();
    assert!(ask("Sam", third, &day_after)
        .unwrap_err()
        .contains("days at most"));
    ask("Sam", third, &last_day).unwrap();

    // Rejected: the other item's findings stay open, their clock runs on (the due date does not
    // move), and who said no and why is kept.
    let due_of = |item: &str| {
        let shown: serde_json::Value = serde_json::from_str(
            &ok_at(
                &ws,
                "2027-01-20T00:00:00.000Z",
                &["items", "show", item, "--json"],
            )
            .unwrap(),
        )
        .unwrap();
        shown["item"]["due_at"].clone()
    };
    let due_before = due_of(second);
    let asked = ask("Dana", second, "2027-02-01").unwrap();
    let other = asked.split_whitespace().nth(1).unwrap().to_string();
    let e = ok_at(
        &ws,
        now,
        &[
            "--as",
            "Sam",
            "exceptions",
            "reject",
            &other,
            "--reason",
            " ",
        ],
    )
    .unwrap_err();
    assert!(e.contains("say why you reject"), "{e}");
    ok_at(
        &ws,
        now,
        &[
            "--as",
            "Sam",
            "exceptions",
            "reject",
            &other,
            "--reason",
            "patch exists",
        ],
    )
    .unwrap();
    let text = ok_at(&ws, now, &["exceptions", "list", "--item", second]).unwrap();
    assert!(text.contains("rejected by Sam: “patch exists”"), "{text}");
    assert_eq!(
        due_of(second),
        due_before,
        "a rejected exception pauses nothing"
    );

    // Past its expiry the accepted findings reopen.
    let after = "2027-01-21T00:00:00.000Z";
    let rows: serde_json::Value = serde_json::from_str(
        &ok_at(
            &ws,
            after,
            &["exceptions", "list", "--item", first, "--json"],
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(rows[0]["state"], "expired");
    assert_eq!(open_findings(after), items[0]["findings"].as_u64().unwrap());
}

#[test]
fn an_item_splits_by_host_or_ha_node_and_merges_back() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let report = corpus("tenable/nessus/nessus_v_unknown.xml");
    ok(&ws, &["import", report.to_str().unwrap()]);
    ok(&ws, &["items", "regroup"]);
    let listed: serde_json::Value = serde_json::from_str(&ok(&ws, &["items", "--json"])).unwrap();
    // An item on all seven hosts of the file (qa3app01-06 and qa3app09), one finding each.
    let big = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["findings"] == 7)
        .unwrap();
    let (id, title) = (big["id"].as_str().unwrap(), big["title"].as_str().unwrap());

    let e = refused(&ws, &["items", "split", id, "--by", "environment"]);
    assert!(e.contains("one environment only"), "{e}");
    assert!(refused(&ws, &["items", "split", id, "--by", "rack"])
        .contains("expected asset, environment or ha-node"));

    // Two HA pairs among the hosts: by node, node 1 of each pair (and the hosts in no pair) in
    // one item, node 2 of each in the other.
    ok(
        &ws,
        &["assets", "set", "qa3app01", "qa3app02", "--ha-group", "db"],
    );
    ok(
        &ws,
        &["assets", "set", "qa3app03", "qa3app04", "--ha-group", "web"],
    );
    assert!(ok(
        &ws,
        &[
            "items",
            "split",
            id,
            "--by",
            "ha-node",
            "--reason",
            "one node at a time"
        ]
    )
    .contains("1 new item"));
    let hosts_of = |item: &str| -> Vec<String> {
        let shown: serde_json::Value =
            serde_json::from_str(&ok(&ws, &["items", "show", item, "--json"])).unwrap();
        let mut hosts: Vec<String> = shown["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["asset"].as_str().unwrap().to_string())
            .collect();
        hosts.sort();
        hosts
    };
    assert_eq!(
        hosts_of(id),
        ["qa3app01", "qa3app03", "qa3app05", "qa3app06", "qa3app09"]
    );
    let listed: serde_json::Value = serde_json::from_str(&ok(&ws, &["items", "--json"])).unwrap();
    let node2 = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == format!("{title} — node 2"))
        .expect("the node 2 item is named after its node");
    let node2 = node2["id"].as_str().unwrap().to_string();
    assert_eq!(hosts_of(&node2), ["qa3app02", "qa3app04"]);

    // Back together, then one item per host.
    ok(&ws, &["items", "merge", id, &node2]);
    assert_eq!(hosts_of(id).len(), 7);
    assert!(ok(&ws, &["items", "split", id, "--by", "asset"]).contains("6 new items"));
    let listed: serde_json::Value = serde_json::from_str(&ok(&ws, &["items", "--json"])).unwrap();
    let per_host: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] == big["action"])
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(per_host.len(), 7);
    assert!(
        per_host.contains(&format!("{title} — qa3app09").as_str()),
        "{per_host:?}"
    );
}

#[test]
fn ops_sets_asset_facts_that_scanners_do_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let report = corpus("tenable/nessus/nessus_v_unknown.xml");
    ok(&ws, &["import", report.to_str().unwrap()]);
    let out = ok(
        &ws,
        &[
            "assets",
            "set",
            "qa3app01",
            "QA3APP02",
            "--env",
            "prod",
            "--criticality",
            "high",
            "--internet-facing",
            "yes",
            "--ha-group",
            "db",
            "--tag",
            "pci",
            "--tag",
            "web",
        ],
    );
    // Four facts on each of the two hosts (env, criticality, internet-facing, HA group), two tags each.
    assert!(out.contains("12 change(s) on 2 asset(s)"), "{out}");
    assert!(
        ok(&ws, &["assets", "set", "qa3app01", "--env", "prod"]).contains("0 change(s)"),
        "setting what is there changes nothing"
    );
    ok(
        &ws,
        &[
            "assets",
            "set",
            "qa3app02",
            "--untag",
            "web",
            "--ha-group",
            "",
        ],
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&ws, &["assets", "list", "--json"])).unwrap();
    let of = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    let one = of("qa3app01");
    assert_eq!(
        (
            one["environment"].as_str(),
            one["criticality"].as_str(),
            one["internet_facing"].as_bool(),
            one["ha_group"].as_str()
        ),
        (Some("prod"), Some("high"), Some(true), Some("db"))
    );
    assert_eq!(one["tags"], serde_json::json!(["pci", "web"]));
    let two = of("qa3app02");
    assert_eq!(
        (two["ha_group"].is_null(), two["tags"].clone()),
        (true, serde_json::json!(["pci"]))
    );
    assert_eq!(
        of("qa3app03")["environment"],
        serde_json::Value::Null,
        "others untouched"
    );
    assert!(refused(
        &ws,
        &["assets", "set", "qa3app01", "--criticality", "extreme"]
    )
    .contains("expected low, medium, high or critical"));
    assert!(
        refused(&ws, &["assets", "set", "nosuchhost", "--env", "prod"])
            .contains("no asset 'nosuchhost'")
    );
    // Each change is in the log, by field.
    let w = truce_core::Workspace::open_existing(&ws).unwrap();
    let fields: i64 = w
        .conn()
        .query_row("SELECT count(*) FROM change_log WHERE entity = 'asset' AND field IN ('environment','criticality','internet_facing','ha_group')
                    OR entity = 'asset_tag'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fields, 12 + 2);
}

#[test]
fn ownership_rules_by_operating_system_and_other_facts() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo.truce");
    ok(&ws, &["demo"]);
    // The demo's rules go (by environment and host name); rules by what the machines are come in.
    for _ in 0..3 {
        ok(&ws, &["owners", "delete", "1"]);
    }
    ok(&ws, &["teams", "add", "Windows Ops"]);
    ok(&ws, &["teams", "add", "Network"]);
    ok(
        &ws,
        &[
            "assets",
            "set",
            "testphp.vulnweb.com",
            "--internet-facing",
            "yes",
        ],
    );
    // The demo's reports say: seven "Microsoft Windows Server 2008 R2 Standard Service Pack 1",
    // "CISCO PIX 7.0" and "Linux Kernel 2.6" (testphp.vulnweb.com).
    ok(
        &ws,
        &["owners", "add", "os", "*windows*", "--team", "Windows Ops"],
    );
    ok(&ws, &["owners", "add", "os", "cisco*", "--team", "Network"]);
    ok(
        &ws,
        &[
            "owners",
            "add",
            "internet_facing",
            "yes",
            "--team",
            "Web Platform",
        ],
    );
    assert!(refused(
        &ws,
        &[
            "owners",
            "add",
            "internet_facing",
            "maybe",
            "--team",
            "Network"
        ]
    )
    .contains("'yes' or 'no'"));
    assert!(refused(
        &ws,
        &["owners", "add", "shoe_size", "9", "--team", "Network"]
    )
    .contains("expected one of"));
    ok(&ws, &["items", "regroup"]);
    let w = truce_core::Workspace::open_existing(&ws).unwrap();
    let owner = |name: &str| -> Option<String> {
        w.conn()
            .query_row(
                "SELECT t.name FROM assets a LEFT JOIN teams t ON t.id = a.owner_team_id WHERE a.name = ?1",
                [name],
                |r| r.get(0),
            )
            .unwrap()
    };
    for host in [
        "qa3app01", "qa3app02", "qa3app03", "qa3app04", "qa3app05", "qa3app06", "qa3app09",
    ] {
        assert_eq!(owner(host).as_deref(), Some("Windows Ops"), "{host}");
    }
    assert_eq!(
        owner("preprod.boardvantage.net").as_deref(),
        Some("Network")
    );
    assert_eq!(
        owner("testphp.vulnweb.com").as_deref(),
        Some("Web Platform")
    );
}

/// Items of the workspace as JSON.
fn items(ws: &Path) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(ws, &["items", "--json"])).unwrap()
}

#[test]
fn one_fix_per_product_and_package_not_one_item_per_advisory() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    // Read from the files: nessus_with_cvssv3.nessus holds 21 PHP plugins on testphp.vulnweb.com
    // whose solutions say "Upgrade to PHP version X or later" (5.2.0 up to 7.3.28, "5.3.12 /
    // 5.4.2") or "Upgrade to a version of PHP that is currently supported"; the Grype report
    // many_vulns_with_epss_values.json has 15 CVEs in busybox 1.32.1, of which some name the
    // fixed version 1.34.0 and the others none.
    for f in [
        "tenable/nessus/nessus_with_cvssv3.nessus",
        "grype/many_vulns_with_epss_values.json",
    ] {
        ok(&ws, &["import", corpus(f).to_str().unwrap()]);
    }
    ok(&ws, &["items", "regroup"]);
    let all = items(&ws);
    let php: Vec<_> = all
        .iter()
        .filter(|i| i["action"].as_str().unwrap().contains("PHP"))
        .collect();
    assert_eq!(php.len(), 1, "{php:#?}");
    assert_eq!(php[0]["action"], "Upgrade PHP to 7.3.28 or later");
    assert_eq!(php[0]["findings"], 21);
    let busybox: Vec<_> = all
        .iter()
        .filter(|i| i["action"].as_str().unwrap().contains("busybox"))
        .collect();
    assert_eq!(busybox.len(), 1, "{busybox:#?}");
    assert_eq!(busybox[0]["action"], "Upgrade busybox to 1.34.0");
    assert_eq!(busybox[0]["findings"], 15);
    // No two automatic items left with one fix for one host family.
    let mut keys: Vec<&str> = all
        .iter()
        .map(|i| i["group_key"].as_str().unwrap())
        .collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);
}

#[test]
fn one_fix_is_split_by_the_hosts_operating_system_family() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    // Read from the file: QID 38628 "SSL/TLS Server supports TLSv1.0" is reported on
    // 64.41.200.246 and .247 (OPERATING_SYSTEM "Windows 2008 R2 ...") and on .250 ("Ubuntu /
    // Tiny Core Linux / Linux 2.6.x"): disabling TLS 1.0 is a registry change on the first two
    // and a server configuration on the third.
    ok(
        &ws,
        &[
            "import",
            corpus("qualys/Qualys_Sample_Report.xml").to_str().unwrap(),
        ],
    );
    ok(&ws, &["items", "regroup"]);
    let tls = |ws: &Path| -> Vec<(String, u64)> {
        let mut found: Vec<(String, u64)> = items(ws)
            .into_iter()
            .filter(|i| i["title"] == "SSL/TLS Server supports TLSv1.0")
            .map(|i| {
                let key = i["group_key"].as_str().unwrap();
                let os = key.rsplit_once("os=").map_or("", |(_, os)| os).to_string();
                (os, i["assets"].as_u64().unwrap())
            })
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        tls(&ws),
        vec![("ubuntu".to_string(), 1), ("windows".to_string(), 2)]
    );
    // The rule can be turned off: one item for the three hosts.
    ok(&ws, &["items", "regroup", "--by-os-family", "off"]);
    assert_eq!(tls(&ws), vec![(String::new(), 3)]);
}
