//! Importing real Grype JSON reports (tests/corpus/scans/grype, every file).
//!
//! Counts were derived from the files with tests/derive/image_scanners.py: Python's json
//! module, applying the rule of docs/formats/grype.md (one finding per vulnerability.id,
//! artifact.name and artifact.version; the first match's severity; Negligible, Unknown or
//! none = info). Single values were read from the files with jq, as each comment says.

mod common;

use common::{cvss, texts};

use common::text;

use common::sev;

use std::path::Path;

use truce_core::ingest::import_file;
use truce_core::model::{ImportReport, SeverityCounts};
use truce_core::Workspace;

fn import(dir: &Path, rel: &str) -> (Workspace, ImportReport) {
    common::import_detected(dir, rel, "grype")
}

#[test]
fn every_sample_imports_with_the_counts_read_from_the_file() {
    // (file, assets, findings, by severity): from tests/derive/image_scanners.py.
    let expected: &[(&str, u32, u32, SeverityCounts)] = &[
        // 6 matches; GHSA-v6rh-hp5x-86rv on Django 3.2.9 twice. Critical x2 (libc-bin, libc6),
        // High x2, Negligible x1.
        ("check_all_fields.json", 1, 5, sev(2, 2, 0, 0, 1)),
        (
            "check_all_fields_different_ids_fabricated.json",
            1,
            1,
            sev(0, 1, 0, 0, 0),
        ),
        (
            "check_all_fields_no_ids_fabricated.json",
            1,
            1,
            sev(0, 1, 0, 0, 0),
        ),
        (
            "check_all_fields_with_ids_fabricated.json",
            1,
            1,
            sev(0, 1, 0, 0, 0),
        ),
        ("fix_available.json", 1, 1, sev(0, 1, 0, 0, 0)),
        ("fix_not_available.json", 1, 1, sev(0, 1, 0, 0, 0)),
        // 35 matches, all distinct; one (CVE-2024-26308) has no severity: info.
        ("issue_9618.json", 1, 35, sev(1, 18, 13, 2, 1)),
        ("issue_9942.json", 1, 1, sev(0, 1, 0, 0, 0)),
        // 1509 distinct matches: 681 Negligible + 76 Unknown = 757 info.
        ("many_vulns.json", 1, 1509, sev(0, 32, 613, 107, 757)),
        ("many_vulns2.json", 1, 1567, sev(0, 26, 637, 112, 792)),
        ("many_vulns3.json", 1, 327, sev(5, 24, 155, 27, 116)),
        // A directory scan.
        ("many_vulns4.json", 1, 9, sev(2, 2, 5, 0, 0)),
        (
            "many_vulns_with_epss_values.json",
            1,
            15,
            sev(1, 10, 2, 2, 0),
        ),
        // matches: [] for busybox:latest.
        ("no_vuln.json", 1, 0, sev(0, 0, 0, 0, 0)),
        // CVE-2021-33574 on libc6 2.28-10 at two paths: one finding.
        ("same_cve_different_paths.json", 1, 1, sev(1, 0, 0, 0, 0)),
    ];
    let on_disk: Vec<String> = std::fs::read_dir(common::corpus("grype"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    for name in &on_disk {
        // anchore_grype_epss_problem.json is refused (no source): see its own test.
        assert!(
            name == "anchore_grype_epss_problem.json" || expected.iter().any(|(f, ..)| f == name),
            "{name} has no expectation"
        );
    }
    for (file, assets, findings, by_sev) in expected {
        let dir = tempfile::tempdir().unwrap();
        let (ws, r) = import(dir.path(), &format!("grype/{file}"));
        assert_eq!(
            (r.assets, r.findings, r.new),
            (*assets, *findings, *findings),
            "{file}"
        );
        assert_eq!(r.by_severity, *by_sev, "{file}");
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM assets"),
            *assets as i64,
            "{file}"
        );
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
            *findings as i64,
            "{file}"
        );
    }
}

#[test]
fn a_report_without_source_is_refused() {
    // anchore_grype_epss_problem.json has only "matches" (1): nothing names the image.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let before = common::dump(&ws);
    let e = import_file(
        &mut ws,
        &common::corpus("grype/anchore_grype_epss_problem.json"),
        None,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("anchore_grype_epss_problem.json"), "{msg}");
    assert!(msg.contains("line ") && msg.contains("column "), "{msg}");
    assert!(msg.contains("the report has no source"), "{msg}");
    assert_eq!(common::dump(&ws), before);
}

#[test]
fn image_source_epss_and_scan_time() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/many_vulns_with_epss_values.json");
    // source.target: manifestDigest, imageID, repoDigests[0]; userInput and tags "busybox:1.32.1".
    assert_eq!(
        texts(
            &ws,
            "SELECT kind || '=' || value FROM asset_identifiers ORDER BY kind, value"
        ),
        [
            "artifact=busybox:1.32.1",
            "image_digest=sha256:123b1fd3a44eaaf7322e08e9175d9ca57d49ebf2955d4fa1f5607e99dc31bcbb",
            "image_digest=sha256:388056c9a6838deea3792e8f00705b35b439cf57b3c9c2634fb4e95cfc896de6",
            "image_digest=sha256:ae39a6f5c07297d7ab64dbd4f82c77c874cc6a94cea29fdec309d0992574b4f7",
        ]
    );
    assert_eq!(text(&ws, "SELECT name FROM assets"), "busybox:1.32.1");
    // distro busybox 1.32.1; descriptor.timestamp 2025-06-19T11:43:35.523947199Z.
    assert_eq!(text(&ws, "SELECT os FROM assets"), "busybox 1.32.1");
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings"),
        "2025-06-19T11:43:35.523Z"
    );
    // CVE-2022-28391: epss 0.0719; cvss Primary 3.1 8.8 and 2.0 6.8; no fix versions.
    let (epss, fixed): (f64, Option<String>) = ws
        .conn()
        .query_row(
            "SELECT epss, fixed_version FROM vulnerabilities WHERE scanner_id = 'CVE-2022-28391'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((epss, fixed), (0.0719, None));
    assert_eq!(
        cvss(&ws, "CVE-2022-28391", "3"),
        (
            8.8,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H".to_string()
        )
    );
    assert_eq!(
        cvss(&ws, "CVE-2022-28391", "2"),
        (6.8, "AV:N/AC:M/Au:N/C:P/I:P/A:P".to_string())
    );
    assert_eq!(
        texts(
            &ws,
            "SELECT location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2022-28391'"
        ),
        ["busybox@1.32.1"]
    );
    // All 15 have an epss value.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE epss IS NOT NULL"
        ),
        15
    );
}

#[test]
fn related_vulnerabilities_give_cves_and_cvss() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/check_all_fields.json");
    // GHSA-v6rh-hp5x-86rv: related CVE-2021-44420 (nvd, cvss 2.0 7.5 and 3.1 7.3); fix 3.2.10.
    assert_eq!(
        texts(
            &ws,
            "SELECT c.cve FROM vulnerability_cves c JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = 'GHSA-v6rh-hp5x-86rv'"
        ),
        ["CVE-2021-44420"]
    );
    assert_eq!(cvss(&ws, "GHSA-v6rh-hp5x-86rv", "3").0, 7.3);
    assert_eq!(cvss(&ws, "GHSA-v6rh-hp5x-86rv", "2").0, 7.5);
    let (fixed, solution): (String, String) = ws
        .conn()
        .query_row(
            "SELECT fixed_version, solution FROM vulnerabilities WHERE scanner_id = 'GHSA-v6rh-hp5x-86rv'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (fixed.as_str(), solution.as_str()),
        ("3.2.10", "Upgrade Django to 3.2.10")
    );
    // CVE-2004-0971 (Negligible, no own cvss): related nvd cvss 2.0 2.1, vector AV:L/AC:L/Au:N/C:N/I:P/A:N.
    assert_eq!(
        cvss(&ws, "CVE-2004-0971", "2"),
        (2.1, "AV:L/AC:L/Au:N/C:N/I:P/A:N".to_string())
    );
    assert_eq!(
        text(
            &ws,
            "SELECT f.severity || ' ' || v.scanner_score FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2004-0971'"
        ),
        "info Negligible"
    );
    // CVE-2021-33574 on libc-bin and libc6: two findings of one vulnerability.
    assert_eq!(
        texts(
            &ws,
            "SELECT location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2021-33574' ORDER BY 1"
        ),
        ["libc-bin@2.28-10", "libc6@2.28-10"]
    );
    // CVE-2021-32626: fix versions fix_1, fix_2 (state wont-fix).
    assert_eq!(
        text(
            &ws,
            "SELECT fixed_version FROM vulnerabilities WHERE scanner_id = 'CVE-2021-32626'"
        ),
        "fix_1, fix_2"
    );

    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(
        dir.path(),
        "grype/check_all_fields_different_ids_fabricated.json",
    );
    // Related CVE-2021-1234 (3.1 9.8) and CVE-2021-5678 (3.1 6.3): both CVEs; the first nvd entry's score.
    assert_eq!(
        texts(&ws, "SELECT cve FROM vulnerability_cves ORDER BY cve"),
        ["CVE-2021-1234", "CVE-2021-5678"]
    );
    assert_eq!(cvss(&ws, "GHSA-v6rh-hp5x-86rv", "3").0, 9.8);

    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/check_all_fields_no_ids_fabricated.json");
    // No related vulnerabilities: a GHSA without CVE.
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves"),
        0
    );
}

#[test]
fn one_package_at_two_paths_is_one_finding_with_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/same_cve_different_paths.json");
    // Two matches of CVE-2021-33574 on libc6 2.28-10, at /usr/lib/... and /lib/...; fix state not-fixed.
    assert_eq!(
        text(&ws, "SELECT evidence FROM findings_with_evidence"),
        "/usr/lib/x86_64-linux-gnu/libc.so.6\nGrype fix state: not-fixed\n/lib/x86_64-linux-gnu/libc.so.6"
    );
    // imageID and manifestDigest are both "sha256:test"; no tags, userInput test-image:latest.
    assert_eq!(
        texts(
            &ws,
            "SELECT kind || '=' || value FROM asset_identifiers ORDER BY kind"
        ),
        ["artifact=test-image:latest", "image_digest=sha256:test"]
    );
}

#[test]
fn old_schema_and_directory_sources() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/many_vulns.json");
    // Grype 0.7.0: cvssV2 {baseScore 5, vector} and fixedInVersion on CVE-2020-36221 (libldap-2.4-2).
    assert_eq!(
        text(
            &ws,
            "SELECT fixed_version FROM vulnerabilities WHERE scanner_id = 'CVE-2020-36221'"
        ),
        "2.4.47+dfsg-3+deb10u5"
    );
    assert_eq!(cvss(&ws, "CVE-2020-36221", "2").0, 5.0);
    // CVE-2019-3902: cvssV3 5.9, CVSS:3.0 vector.
    assert_eq!(
        cvss(&ws, "CVE-2019-3902", "3"),
        (
            5.9,
            "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N".to_string()
        )
    );
    assert_eq!(text(&ws, "SELECT name FROM assets"), "python:3.6");
    assert_eq!(text(&ws, "SELECT os FROM assets"), "debian 10");

    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/many_vulns4.json");
    // source {"type": "directory", "target": "\".\""}: the folder ".", without the quotes.
    assert_eq!(
        texts(&ws, "SELECT kind || '=' || value FROM asset_identifiers"),
        ["artifact=."]
    );
    // CVE-1999-1338 on delegate 3.2.0: cvss 2.0 5 (no type, no source).
    assert_eq!(cvss(&ws, "CVE-1999-1338", "2").0, 5.0);

    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/issue_9618.json");
    // descriptor.timestamp 2024-02-22T19:46:26.372724916+01:00, in UTC.
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings"),
        "2024-02-22T18:46:26.372Z"
    );
    // CVE-2024-26308 on commons-compress 1.21 has no severity: info, no scanner score.
    let (severity, score): (String, Option<String>) = ws
        .conn()
        .query_row(
            "SELECT f.severity, v.scanner_score FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2024-26308'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((severity.as_str(), score), ("info", None));
}

#[test]
fn known_exploited_is_read() {
    // many_vulns_with_epss_values.json with a KEV entry added to CVE-2022-28391, as Grype 0.87+ writes it.
    let dir = tempfile::tempdir().unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::corpus("grype/many_vulns_with_epss_values.json")).unwrap(),
    )
    .unwrap();
    let m = doc["matches"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["vulnerability"]["id"] == "CVE-2022-28391")
        .unwrap();
    m["vulnerability"]["knownExploited"] = serde_json::json!([
        {"cve": "CVE-2022-28391", "vendorProject": "BusyBox", "product": "BusyBox", "knownRansomwareCampaignUse": "Unknown"}
    ]);
    let path = dir.path().join("kev.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &path, None).unwrap();
    assert_eq!(
        texts(
            &ws,
            "SELECT scanner_id FROM vulnerabilities WHERE known_exploited"
        ),
        ["CVE-2022-28391"]
    );
}

/// Bad input: an error naming the file and a line and column, and the workspace as it was.
fn refused(name: &str, bytes: &[u8], format: Option<&str>, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "grype/many_vulns4.json");
    common::assert_refused(ws, name, bytes, format, ", column ", problem);
}

#[test]
fn truncated_json_is_refused() {
    // Cut in the middle of the matches: the findings read so far are not kept.
    let bytes = std::fs::read(common::corpus("grype/many_vulns3.json")).unwrap();
    refused(
        "cut.json",
        &bytes[..bytes.len() / 2],
        None,
        "truncated JSON",
    );
}

#[test]
fn json_of_the_wrong_shape_is_refused() {
    let trivy = std::fs::read(common::corpus("trivy/scheme_2_many_vulns.json")).unwrap();
    refused(
        "trivy.json",
        &trivy,
        Some("grype"),
        "not a Grype report: no matches",
    );
    refused(
        "list.json",
        b"[]",
        Some("grype"),
        "invalid type: sequence, expected a Grype JSON report",
    );
    refused(
        "severity.json",
        br#"{"matches": [{"vulnerability": {"id": "CVE-2024-1", "severity": "Severe"}, "artifact": {"name": "p", "version": "1"}}],
            "source": {"type": "directory", "target": "/src"}}"#,
        None,
        "unknown variant `Severe`",
    );
    refused(
        "nameless.json",
        br#"{"matches": [], "source": {"type": "image", "target": {"userInput": "", "tags": []}}, "descriptor": {"name": "grype"}}"#,
        None,
        "names no image digest, image or path",
    );
}

#[test]
fn an_empty_object_is_refused() {
    refused(
        "empty.json",
        b"{}",
        Some("grype"),
        "not a Grype report: no matches",
    );
}
