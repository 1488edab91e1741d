//! The `truce` binary, run as a script would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn truce(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
        .output()
        .expect("truce runs")
}

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/scans")
        .join(rel)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        &["--help"][..],
        &["demo", "--help"],
        &["import", "--help"],
        &["status", "--help"],
        &["mapping", "--help"],
        &["mapping", "save", "--help"],
        &["mapping", "list", "--help"],
        &["mapping", "delete", "--help"],
    ] {
        let out = truce(sub);
        assert!(out.status.success(), "{sub:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: truce"), "{sub:?}: {text}");
        assert!(
            text.contains("--workspace"),
            "{sub:?} mentions --workspace: {text}"
        );
    }
}

#[test]
fn demo_then_status_json_prints_non_zero_counts() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("demo.truce");
    assert!(truce(&["demo", s(&ws)]).status.success());
    let out = truce(&["--workspace", s(&ws), "status", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["assets", "findings", "work_items", "change_windows"] {
        assert!(v[key].as_u64().unwrap() > 0, "{key} is zero in {v}");
    }
    assert_eq!(v["assets"], 9);
    assert_eq!(v["findings"], 351);
}

#[test]
fn the_workspace_env_var_picks_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("env.truce");
    let out = Command::new(env!("CARGO_BIN_EXE_truce"))
        .args([
            "import",
            "--json",
            s(&corpus("tenable/nessus/nessus_many_vuln.xml")),
        ])
        .env("TRUCE_WORKSPACE", &ws)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ws.exists());
}

#[test]
fn import_json_prints_one_object_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let a = corpus("tenable/nessus/nessus_many_vuln.xml");
    let b = corpus("tenable/nessus/nessus_v_unknown.xml");
    let out = truce(&["--workspace", s(&ws), "import", "--json", s(&a), s(&b)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["file"], s(&a));
    assert_eq!(lines[0]["format"], "nessus");
    assert_eq!(lines[0]["findings"], 7);
    assert_eq!(lines[1]["assets"], 7);
    assert_eq!(lines[1]["findings"], 296);
    assert_eq!(lines[1]["by_severity"]["medium"], 23);
    for key in ["new", "closed", "reopened", "unchanged"] {
        assert!(lines[1][key].is_u64(), "{key}");
    }
}

#[test]
fn a_bad_file_fails_with_its_name_and_keeps_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    assert!(truce(&[
        "--workspace",
        s(&ws),
        "import",
        s(&corpus("tenable/nessus/nessus_many_vuln.xml"))
    ])
    .status
    .success());
    let bad = dir.path().join("broken.nessus");
    let real = std::fs::read(corpus("tenable/nessus/nessus_v_unknown.xml")).unwrap();
    std::fs::write(&bad, &real[..real.len() / 2]).unwrap();
    let out = truce(&["--workspace", s(&ws), "import", s(&bad)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.nessus") && err.contains("byte "),
        "{err}"
    );
    let status = truce(&["--workspace", s(&ws), "status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(
        (
            v["assets"].as_u64(),
            v["findings"].as_u64(),
            v["imports"].as_u64()
        ),
        (Some(1), Some(7), Some(1))
    );
}

#[test]
fn status_of_a_missing_workspace_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("nothing-here.truce");
    let out = truce(&["--workspace", s(&ws), "status"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing-here.truce") && err.contains("no such file"),
        "{err}"
    );
    assert!(!ws.exists(), "status must not create a workspace");
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The OpenVAS CSV mapping of docs/formats/csv.md, saved from many_vuln.csv's header.
fn save_openvas_mapping(ws: &Path) -> Output {
    truce(&[
        "--workspace",
        s(ws),
        "mapping",
        "save",
        "openvas",
        "--from",
        s(&corpus("openvas/many_vuln.csv")),
        "--id",
        "NVT OID",
        "--ip",
        "IP",
        "--host",
        "Hostname",
        "--port",
        "Port",
        "--protocol",
        "port protocol",
        "--severity",
        "Severity",
        "--cvss",
        "CVSS",
        "--cve",
        "CVEs",
        "--title",
        "NVT Name",
        "--seen",
        "Timestamp",
        "--severity-value",
        "Log=info",
    ])
}

#[test]
fn mapping_save_list_delete_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let saved = ok(&save_openvas_mapping(&ws));
    assert!(saved.contains("saved column mapping 'openvas'"), "{saved}");
    let listed: serde_json::Value = serde_json::from_str(&ok(&truce(&[
        "--workspace",
        s(&ws),
        "mapping",
        "list",
        "--json",
    ])))
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "openvas");
    assert_eq!(listed[0]["mapping"]["id"], "nvt oid");
    assert_eq!(listed[0]["mapping"]["protocol"], "port protocol");
    assert_eq!(listed[0]["mapping"]["severity_values"]["log"], "info");
    assert_eq!(listed[0]["header"].as_array().unwrap().len(), 25);
    let text = ok(&truce(&["--workspace", s(&ws), "mapping", "list"]));
    assert!(text.starts_with("openvas\tscanner csv:openvas"), "{text}");
    ok(&truce(&[
        "--workspace",
        s(&ws),
        "mapping",
        "delete",
        "openvas",
    ]));
    let text = ok(&truce(&["--workspace", s(&ws), "mapping", "list"]));
    assert!(text.contains("no column mappings saved"), "{text}");
    let again = truce(&["--workspace", s(&ws), "mapping", "delete", "openvas"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no column mapping named 'openvas'"));
}

#[test]
fn a_mapping_naming_a_column_not_in_the_header_is_refused_with_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let from = corpus("openvas/many_vuln.csv");
    let out = truce(&[
        "--workspace",
        s(&ws),
        "mapping",
        "save",
        "x",
        "--from",
        s(&from),
        "--id",
        "Plugin ID",
        "--ip",
        "IP",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("many_vuln.csv"), "{err}");
    assert!(
        err.contains("the header has no id column 'plugin id' (its columns: ip, hostname, port"),
        "{err}"
    );
    let bad_level = truce(&[
        "--workspace",
        s(&ws),
        "mapping",
        "save",
        "x",
        "--from",
        s(&from),
        "--id",
        "NVT OID",
        "--ip",
        "IP",
        "--severity-value",
        "Log=urgent",
    ]);
    assert!(!bad_level.status.success());
    assert!(String::from_utf8_lossy(&bad_level.stderr).contains("--severity-value 'Log=urgent'"));
}

#[test]
fn a_mapped_csv_imports_with_no_flags() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    ok(&save_openvas_mapping(&ws));
    let a = corpus("openvas/many_vuln.csv");
    let b = corpus("openvas/one_vuln.csv");
    let out = ok(&truce(&[
        "--workspace",
        s(&ws),
        "import",
        "--json",
        s(&a),
        s(&b),
    ]));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // tests/derive/generic_csv_openvas.py: many_vuln.csv 1 asset, 4 findings (1 high, 2 medium,
    // 1 low); one_vuln.csv 1 asset, 1 medium finding.
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["format"], "csv:openvas");
    assert_eq!(
        (lines[0]["assets"].as_u64(), lines[0]["findings"].as_u64()),
        (Some(1), Some(4))
    );
    assert_eq!(lines[0]["by_severity"]["high"], 1);
    assert_eq!(lines[0]["by_severity"]["medium"], 2);
    assert_eq!(lines[0]["by_severity"]["low"], 1);
    assert_eq!(lines[1]["format"], "csv:openvas");
    assert_eq!(lines[1]["findings"], 1);
    // Forcing the mapping on the 28-column export (a superset of the columns).
    let c = corpus("openvas/report_detail_v2.csv");
    let out = ok(&truce(&[
        "--workspace",
        s(&ws),
        "import",
        "--json",
        "--format",
        "csv:openvas",
        s(&c),
    ]));
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["format"].as_str(), v["findings"].as_u64()),
        (Some("csv:openvas"), Some(1))
    );
}

#[test]
fn an_unmatched_csv_points_at_mapping_save() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let f = corpus("openvas/report_combine_v2.csv");
    let out = truce(&["--workspace", s(&ws), "import", s(&f)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("report_combine_v2.csv"), "{err}");
    assert!(err.contains("not a report format Truce reads"), "{err}");
    assert!(
        err.contains("save a column mapping with `truce mapping save`"),
        "{err}"
    );
}

#[test]
fn assets_list_and_split_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let a = dir.path().join("a.nessus");
    let b = dir.path().join("b.nessus");
    let host = |name: &str, tags: &str, plugin: &str| {
        format!(
            "<NessusClientData_v2><Report name=\"t\"><ReportHost name=\"{name}\"><HostProperties>{tags}</HostProperties>\
             <ReportItem port=\"22\" protocol=\"tcp\" severity=\"2\" pluginID=\"{plugin}\" pluginName=\"P\"/>\
             </ReportHost></Report></NessusClientData_v2>"
        )
    };
    std::fs::write(&a, host("db01.example.com", "", "1")).unwrap();
    std::fs::write(
        &b,
        host("db01", "<tag name=\"host-ip\">10.7.7.7</tag>", "2"),
    )
    .unwrap();
    assert!(truce(&["--workspace", s(&ws), "import", s(&a), s(&b)])
        .status
        .success());
    let out = truce(&["--workspace", s(&ws), "assets", "list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = list[0]["id"].as_str().unwrap().to_string();
    let out = truce(&[
        "--workspace",
        s(&ws),
        "assets",
        "split",
        &id,
        "--key",
        "ip=10.7.7.7",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (r["name"].as_str(), r["findings"].as_u64()),
        (Some("10.7.7.7"), Some(1))
    );
    let bad = truce(&[
        "--workspace",
        s(&ws),
        "assets",
        "split",
        &id,
        "--key",
        "nonsense",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("kind=value"));
}

#[test]
fn assets_of_one_machine_merge_and_its_next_scan_lands_on_the_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let a = dir.path().join("a.nessus");
    let b = dir.path().join("b.nessus");
    let host = |name: &str, plugins: &[&str]| {
        let items: String = plugins
            .iter()
            .map(|p| format!("<ReportItem port=\"22\" protocol=\"tcp\" severity=\"2\" pluginID=\"{p}\" pluginName=\"P{p}\"/>"))
            .collect();
        format!(
            "<NessusClientData_v2><Report name=\"t\"><ReportHost name=\"{name}\"><HostProperties></HostProperties>\
             {items}</ReportHost></Report></NessusClientData_v2>"
        )
    };
    // One machine: the agent scan names it by FQDN, the network scan by IP; plugin 3 is in both.
    std::fs::write(&a, host("web01.example.com", &["1", "3"])).unwrap();
    std::fs::write(&b, host("10.8.8.8", &["2", "3"])).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--workspace", s(&ws)];
        all.extend_from_slice(args);
        truce(&all)
    };
    assert!(run(&["import", s(&a), s(&b)]).status.success());
    let list = |run: &dyn Fn(&[&str]) -> std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&run(&["assets", "list", "--json"]).stdout).unwrap()
    };
    assert_eq!(list(&run).as_array().unwrap().len(), 2);
    let missing = run(&["assets", "merge", "web01.example.com", "10.9.9.9"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no asset '10.9.9.9'"));
    assert_eq!(
        list(&run).as_array().unwrap().len(),
        2,
        "a refused merge changes nothing"
    );

    let out = run(&["assets", "merge", "web01.example.com", "10.8.8.8", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            r["name"].as_str(),
            r["findings"].as_u64(),
            r["combined"].as_u64()
        ),
        (Some("web01.example.com"), Some(1), Some(1))
    );
    let assets = list(&run);
    assert_eq!(assets.as_array().unwrap().len(), 1);
    let keys: Vec<&str> = assets[0]["identifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"ip=10.8.8.8") && keys.contains(&"fqdn=web01.example.com"),
        "{keys:?}"
    );
    assert_eq!(assets[0]["open_findings"], 3);
    // The network scan again: it reaches the kept asset through the IP, and makes no new one.
    assert!(run(&["import", s(&b)]).status.success());
    let assets = list(&run);
    assert_eq!(assets.as_array().unwrap().len(), 1, "{assets:#}");
    assert_eq!(assets[0]["open_findings"], 3);
}

/// The browser tests' bridge serves the workspace over HTTP: the product must not carry it.
/// (`cargo test` builds `truce` without the `test-bridge` feature, as a release build is.)
#[cfg(not(feature = "test-bridge"))]
#[test]
fn the_test_bridge_is_not_in_a_build_without_its_feature() {
    for sub in ["serve-ui", "ui-fixture"] {
        let out = truce(&[sub, "--help"]);
        assert!(!out.status.success(), "{sub} is in this build");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unrecognized subcommand"),
            "{sub}"
        );
    }
}

#[test]
fn verbose_logs_the_steps_and_their_times_to_stderr_and_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let report = corpus("tenable/nessus/nessus_v_unknown.xml");
    let quiet = truce(&["--workspace", s(&ws), "import", "--json", s(&report)]);
    assert!(quiet.status.success());
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let out = truce(&[
        "--workspace",
        s(&ws),
        "--verbose",
        "items",
        "regroup",
        "--json",
    ]);
    assert!(out.status.success());
    // stdout is still the JSON answer alone.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["items"].as_u64().unwrap() > 0);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("truce::regroup") && log.contains("step=\"step 1: left\""),
        "{log}"
    );
    assert!(log.contains("close") && log.contains("time.busy"), "{log}");
}
