//! Importing the SARIF corpus (tests/corpus/scans/sarif). Every expected number below was
//! derived from the files themselves by a separate Python reading (json module) that applies
//! the rules of docs/formats/sarif.md: one asset per run (repositoryUri, else absolute
//! originalUriBaseIds root, else "<tool>:<file name>"), one finding per distinct
//! (asset, "<tool>:<ruleId>", "<uri>:<startLine>" per location), kind other than "fail" and
//! accepted suppressions skipped, severity from rule "security-severity" else level.

#![allow(clippy::type_complexity)] // row tuples read straight from SQL

mod common;

use truce_core::ingest::{choose_format, import_file};
use truce_core::model::SeverityCounts;
use truce_core::Workspace;

fn sev(c: [u32; 5]) -> SeverityCounts {
    SeverityCounts {
        critical: c[0],
        high: c[1],
        medium: c[2],
        low: c[3],
        info: c[4],
    }
}

fn strings(ws: &Workspace, sql: &str) -> Vec<String> {
    ws.conn()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (file, assets, distinct findings, [critical, high, medium, low, info], distinct
/// vulnerabilities "<tool>:<ruleId>", distinct CVE ids).
/// Derived by the Python reading described at the top. Notable merges it found:
/// bash-report 27 results -> 12 (file, line) pairs; gitleaks 8 -> 4; the LGTM export 510 -> 501;
/// mobsfscan 9 results list 18 locations. Skips: SuppressionTestCurrent and suppression_test have
/// 3 suppressed results each (suppression_test's TST0005 has an empty list: kept), appendix_k and
/// k4 have only a suppressed result, flawfinder one kind "pass". issue_10191 writes
/// security-severity as words (6 CRITICAL, 1 HIGH, 10 MEDIUM rules).
const EXPECTED: &[(&str, u32, u32, [u32; 5], i64, i64)] = &[
    (
        "DefectDojo_django-DefectDojo__2020-12-11_13 42 10__export.sarif",
        1,
        501,
        [0, 26, 122, 353, 0],
        27,
        0,
    ),
    ("SuppressionTestCurrent.sarif", 1, 1, [0, 0, 1, 0, 0], 1, 0),
    ("appendix_k.sarif", 1, 0, [0, 0, 0, 0, 0], 0, 0),
    ("appendix_k1.sarif", 1, 0, [0, 0, 0, 0, 0], 0, 0),
    ("appendix_k1_double.sarif", 2, 0, [0, 0, 0, 0, 0], 0, 0),
    ("appendix_k2.sarif", 1, 1, [0, 0, 1, 0, 0], 1, 0),
    ("appendix_k3.sarif", 1, 1, [0, 0, 1, 0, 0], 1, 0),
    ("appendix_k4.sarif", 1, 0, [0, 0, 0, 0, 0], 0, 0),
    (
        "bash-report-fabricated-no-internal-dupes-subset.sarif",
        1,
        4,
        [0, 0, 0, 4, 0],
        4,
        0,
    ),
    (
        "bash-report-fabricated-no-internal-dupes.sarif",
        1,
        5,
        [0, 0, 0, 5, 0],
        5,
        0,
    ),
    (
        "bash-report-subset-same-hash-code-same-unique-id.sarif",
        1,
        2,
        [0, 0, 0, 2, 0],
        1,
        0,
    ),
    ("bash-report.sarif", 1, 12, [0, 0, 0, 12, 0], 5, 0),
    (
        "blackduck_nested_fingerprints.sarif",
        1,
        5,
        [0, 3, 1, 1, 0],
        5,
        4,
    ),
    ("codeQL-output.sarif", 1, 72, [0, 11, 4, 57, 0], 13, 0),
    ("cxf-3.4.6.sarif", 1, 22, [1, 11, 4, 6, 0], 22, 11),
    ("dependency_check.sarif", 1, 13, [0, 13, 0, 0, 0], 9, 5),
    ("dockle_0_3_15.sarif", 1, 4, [0, 1, 0, 3, 0], 4, 0),
    ("flawfinder.sarif", 1, 53, [0, 2, 1, 50, 0], 9, 0),
    ("gitleaks_7.5.0.sarif", 1, 4, [0, 0, 4, 0, 0], 2, 0),
    ("issue_10191.json", 1, 77, [34, 1, 42, 0, 0], 17, 0),
    ("mobsfscan.json", 1, 18, [0, 2, 2, 14, 0], 9, 0),
    ("njsscan.sarif", 1, 3, [0, 2, 1, 0, 0], 2, 0),
    ("no_runs.sarif", 0, 0, [0, 0, 0, 0, 0], 0, 0),
    (
        "semgrepowasp-benchmark-sample.sarif",
        1,
        1768,
        [0, 0, 1768, 0, 0],
        7,
        0,
    ),
    ("spotbugs.sarif", 1, 56, [0, 0, 0, 56, 0], 9, 0),
    ("suppression_test.sarif", 1, 2, [0, 0, 2, 0, 0], 2, 0),
    ("taint-python-report.sarif", 1, 10, [0, 8, 1, 1, 0], 4, 0),
];

fn import(
    name: &str,
) -> (
    tempfile::TempDir,
    Workspace,
    truce_core::model::ImportReport,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &common::corpus(&format!("sarif/{name}")), None)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    (dir, ws, r)
}

#[test]
fn every_sample_is_covered_by_the_table() {
    let mut files: Vec<String> = std::fs::read_dir(common::corpus("sarif"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|e| e.0.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
}

#[test]
fn every_sample_imports_with_the_independently_counted_numbers() {
    for &(name, assets, findings, by_sev, vulns, cves) in EXPECTED {
        let (_dir, ws, r) = import(name);
        assert_eq!(r.format, "sarif", "{name}");
        assert_eq!(
            (r.assets, r.findings, r.new),
            (assets, findings, findings),
            "{name}"
        );
        assert_eq!(r.by_severity, sev(by_sev), "{name}");
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM findings"),
            findings as i64,
            "{name}"
        );
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM vulnerabilities"),
            vulns,
            "{name}"
        );
        assert_eq!(
            common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
            cves,
            "{name}"
        );
        assert_eq!(
            common::scalar(
                &ws,
                "SELECT count(*) FROM vulnerabilities WHERE scanner NOT LIKE 'sarif:%'"
            ),
            0,
            "{name}"
        );
    }
}

#[test]
fn security_severity_wins_and_cves_come_from_rule_ids() {
    let (_dir, ws, _) = import("cxf-3.4.6.sarif");
    // The only rule with security-severity >= 9 ("9.8"), whose result sits at line 1 of the jar.
    let (id, loc, severity): (String, String, String) = ws
        .conn()
        .query_row(
            "SELECT v.scanner_id, f.location, f.severity FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE f.severity = 'critical'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (id.as_str(), loc.as_str(), severity.as_str()),
        (
            "grype:CVE-2019-12419-cxf-xjc-runtime",
            "lib/cxf-xjc-runtime-3.3.1.jar:1",
            "critical"
        )
    );
    // The 11 distinct CVE ids in the rule ids, as the Python reading listed them.
    assert_eq!(
        strings(
            &ws,
            "SELECT DISTINCT cve FROM vulnerability_cves ORDER BY cve"
        ),
        [
            "CVE-2008-0732",
            "CVE-2011-5034",
            "CVE-2019-12406",
            "CVE-2019-12419",
            "CVE-2019-12423",
            "CVE-2019-17573",
            "CVE-2020-13954",
            "CVE-2020-1954",
            "CVE-2020-36518",
            "CVE-2021-22696",
            "CVE-2021-30468"
        ]
    );
}

#[test]
fn blackduck_cves_in_rule_ids_and_package_locations() {
    let (_dir, ws, _) = import("blackduck_nested_fingerprints.sarif");
    // Rule ids "BDSA-... (CVE-...)": 4 of the 5 name a CVE; locations are purl-like uris without lines.
    assert_eq!(
        strings(&ws, "SELECT cve FROM vulnerability_cves ORDER BY cve"),
        [
            "CVE-2019-10744",
            "CVE-2020-11022",
            "CVE-2021-23337",
            "CVE-2023-26115"
        ]
    );
    let (title, loc): (String, String) = ws
        .conn()
        .query_row(
            "SELECT v.title, f.location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id = 'example-application:BDSA-2020-1001 (CVE-2020-11022)'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(title, "BDSA-2020-1001 (CVE-2020-11022)"); // shortDescription
    assert_eq!(loc, "npm/example-frontend-lib@1.0.0");
}

#[test]
fn the_repository_is_the_asset_and_repeats_merge() {
    let (_dir, ws, r) = import("bash-report.sarif");
    // versionControlProvenance[0].repositoryUri; 27 results, 12 distinct (rule, file, line).
    assert_eq!((r.assets, r.findings), (1, 12));
    assert_eq!(
        strings(&ws, "SELECT kind || '=' || value FROM asset_identifiers"),
        ["artifact=https://github.com/damiencarol/django-DefectDojo"]
    );
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings WHERE location = 'file:///home/damien/dd/docker/setEnv.sh:134'"
        ),
        1
    );
}

#[test]
fn without_provenance_the_asset_is_the_tool_and_file_name() {
    let (_dir, ws, _) = import("appendix_k1_double.sarif");
    // Two runs (CodeScanner, OtherScanner), no results, no provenance: two assets, nothing found.
    assert_eq!(
        strings(&ws, "SELECT name FROM assets ORDER BY name"),
        [
            "codescanner:appendix_k1_double.sarif",
            "otherscanner:appendix_k1_double.sarif"
        ]
    );
}

#[test]
fn locations_without_lines_or_files() {
    // appendix_k2: message by id + arguments, rendered from the rule's messageStrings.
    let (_dir, ws, _) = import("appendix_k2.sarif");
    let (loc, evidence): (String, String) = ws
        .conn()
        .query_row(
            "SELECT location, evidence FROM findings_with_evidence",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(loc, "src/collections/list.cpp:15");
    assert_eq!(
        evidence,
        "Variable \"count\" was used without being initialized."
    );
    // appendix_k3: only a logical location.
    let (_dir, ws, _) = import("appendix_k3.sarif");
    assert_eq!(
        strings(&ws, "SELECT location FROM findings"),
        ["Example.Worker.DoWork"]
    );
    // dockle: results without locations are about the whole target.
    let (_dir, ws, _) = import("dockle_0_3_15.sarif");
    assert_eq!(
        strings(&ws, "SELECT DISTINCT location FROM findings"),
        ["-"]
    );
    // mobsfscan: a result listing 8 locations is 8 findings.
    let (_dir, ws, _) = import("mobsfscan.json");
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'mobsfscan:android_logging'"
        ),
        8
    );
}

#[test]
fn results_without_rule_ids_are_known_by_their_message() {
    // Gitleaks 7 writes no ruleId: 8 results, 2 messages, 4 distinct (message, file, line).
    let (_dir, ws, _) = import("gitleaks_7.5.0.sarif");
    assert_eq!(
        strings(&ws, "SELECT scanner_id FROM vulnerabilities ORDER BY 1"),
        [
            "gitleaks:AWS Access Key secret detected",
            "gitleaks:Asymmetric Private Key secret detected"
        ]
    );
}

#[test]
fn suppressed_results_are_skipped() {
    // suppression_test.sarif: TST0001-3 suppressed (no state = accepted), TST0004 none, TST0005 [].
    let (_dir, ws, _) = import("suppression_test.sarif");
    assert_eq!(
        strings(&ws, "SELECT scanner_id FROM vulnerabilities ORDER BY 1"),
        ["codescanner:TST0004", "codescanner:TST0005"]
    );
}

#[test]
fn an_absolute_source_root_names_the_asset_without_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let path = dir.path().join("scan.sarif");
    std::fs::write(
        &path,
        br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}},
            "originalUriBaseIds": {"REL": {"uri": "src/", "uriBaseId": "SRCROOT"}, "SRCROOT": {"uri": "file:///work/app/"}},
            "results": [{"ruleId": "R1", "level": "none", "message": {"text": "m"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.c", "uriBaseId": "SRCROOT"}, "region": {"startLine": 3}}}]},
              {"ruleId": "R2", "kind": "pass", "message": {"text": "fine"}},
              {"ruleId": "R3", "message": {"text": "x"}, "suppressions": [{"kind": "inSource", "state": "rejected"}]}]}]}"#,
    )
    .unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    // R1 (level none -> info), R2 skipped (pass), R3 kept (a rejected suppression does not suppress; no level -> medium).
    assert_eq!((r.assets, r.findings), (1, 2));
    assert_eq!(r.by_severity, sev([0, 0, 1, 0, 1]));
    assert_eq!(
        strings(&ws, "SELECT name FROM assets"),
        ["file:///work/app/"]
    );
    assert_eq!(
        strings(&ws, "SELECT location FROM findings ORDER BY 1"),
        ["-", "a.c:3"]
    );
}

#[test]
fn the_same_file_twice_changes_nothing() {
    let (dir, mut ws, first) = import("taint-python-report.sarif");
    let before = common::dump(&ws);
    let again = import_file(
        &mut ws,
        &common::corpus("sarif/taint-python-report.sarif"),
        None,
    )
    .unwrap();
    assert_eq!(
        (again.new, again.unchanged, again.closed),
        (0, first.findings, 0)
    );
    assert_eq!(common::dump(&ws), before);
    drop(dir);
}

fn detected(path: &std::path::Path) -> Option<&'static str> {
    let bytes = std::fs::read(path).unwrap();
    let head = &bytes[..bytes.len().min(64 * 1024)];
    choose_format("x", None, head).ok().map(|f| f.name())
}

#[test]
fn sniffing_does_not_claim_other_formats() {
    for folder in [
        "trivy",
        "grype",
        "tenable/nessus",
        "tenable/nessus_was",
        "ms_defender",
        "cyclonedx",
        "openvex",
    ] {
        for e in std::fs::read_dir(common::corpus(folder)).unwrap() {
            let p = e.unwrap().path();
            // A folder of its own holds another format's samples (ms_defender/tvm-api).
            if p.is_file() {
                assert_ne!(detected(&p), Some("sarif"), "{}", p.display());
            }
        }
    }
    for e in std::fs::read_dir(common::corpus("sarif")).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(detected(&p), Some("sarif"), "{}", p.display());
    }
}

/// Bad input: an error naming the file and a line and column (serde_json points just past the
/// offending token), and the workspace as it was.
fn refused(name: &str, bytes: &[u8], format: Option<&str>, problem: &str) {
    let (_dir, ws, _) = import("njsscan.sarif");
    common::assert_refused(ws, name, bytes, format, "line  | $.", problem);
}

#[test]
fn a_truncated_log_is_refused_with_its_position() {
    let bytes = std::fs::read(common::corpus("sarif/codeQL-output.sarif")).unwrap();
    let cut = &bytes[..bytes.len() * 2 / 3];
    let lines = cut.iter().filter(|b| **b == b'\n').count() + 1;
    refused("cut.sarif", cut, None, &format!("line {lines}, column"));
    refused("cut2.sarif", cut, None, "truncated");
}

#[test]
fn a_wrong_shape_is_refused_with_its_position() {
    refused(
        "shape.sarif",
        b"{\"version\": \"2.1.0\",\n \"runs\": {\"tool\": 1}}",
        None,
        "line 2, column 10: not a SARIF log: invalid type: map, expected a sequence",
    );
    refused(
        "results.sarif",
        b"{\"version\": \"2.1.0\", \"runs\": [{\"tool\": {\"driver\": {\"name\": \"x\"}},\n\"results\": [{\"ruleId\": 5}]}]}",
        None,
        "line 2, column 25: not a SARIF log: invalid type: integer `5`, expected a string",
    );
    refused(
        "junk.sarif",
        b"{\"version\": \"2.1.0\", \"runs\": [}",
        None,
        "line 1, column 31: malformed JSON",
    );
}

#[test]
fn other_versions_and_other_json_are_refused_when_forced() {
    refused(
        "old.sarif",
        br#"{"version": "1.0.0", "runs": []}"#,
        Some("sarif"),
        "SARIF version 1.0.0 is not supported",
    );
    let trivy = std::fs::read(common::corpus("trivy/scheme_2_no_vuln.json")).unwrap();
    refused("trivy.json", &trivy, Some("sarif"), "not a SARIF 2.1.0 log");
}

/// Two tools analysing one repository: a later log of one tool closes only that tool's findings.
#[test]
fn a_rescan_by_one_tool_leaves_another_tools_findings_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let log = |tool: &str, rule: &str| {
        format!(
            r#"{{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{{
              "tool":{{"driver":{{"name":"{tool}","rules":[{{"id":"{rule}"}}]}}}},
              "versionControlProvenance":[{{"repositoryUri":"https://example.com/org/app"}}],
              "results":[{{"ruleId":"{rule}","level":"error","message":{{"text":"m"}},
                "locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/a.py"}},"region":{{"startLine":3}}}}}}]}}]}}]}}"#
        )
    };
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let a = write("a.sarif", log("ToolA", "A1"));
    let b = write("b.sarif", log("ToolB", "B1"));
    let empty_a = write(
        "a2.sarif",
        log("ToolA", "A1").replace(r#""results":[{"#, r#""results":[],"x":[{"#),
    );
    import_file(&mut ws, &a, None).unwrap();
    import_file(&mut ws, &b, None).unwrap();
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 1);
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
        2
    );
    let r = import_file(&mut ws, &empty_a, None).unwrap();
    assert_eq!(
        r.closed, 1,
        "ToolA's own finding is gone from its newer log"
    );
    let open: String = ws
        .conn()
        .query_row("SELECT v.scanner FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE f.status = 'open'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(open, "sarif:toolb");
}
