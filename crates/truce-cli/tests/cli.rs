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
        .join("../../../shared/corpus/scans")
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
