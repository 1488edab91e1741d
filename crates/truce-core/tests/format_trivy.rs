//! Importing real Trivy JSON reports (tests/corpus/scans/trivy, every file).
//!
//! Counts were derived from the files with tests/derive/image_scanners.py: Python's json
//! module, applying the rule of docs/formats/trivy.md (one finding per artifact,
//! VulnerabilityID, PkgName, InstalledVersion; only package results; no VulnerabilityID or
//! Status not_affected skipped; first entry's Severity, UNKNOWN = info). Single values were
//! read from the files with jq, as each comment says.

mod common;

use common::{cvss, texts};

use common::text;

use common::sev;

use std::path::Path;

use truce_core::ingest::import_file;
use truce_core::model::{ImportReport, SeverityCounts};
use truce_core::Workspace;

fn import(dir: &Path, rel: &str) -> (Workspace, ImportReport) {
    common::import_detected(dir, rel, "trivy")
}

#[test]
fn every_sample_imports_with_the_counts_read_from_the_file() {
    // (file, assets, findings, by severity): from tests/derive/image_scanners.py.
    let expected: &[(&str, u32, u32, SeverityCounts)] = &[
        // 8 entries, all LOW; CVE-2019-18276 is Status not_affected.
        ("all_statuses.json", 1, 7, sev(0, 0, 0, 7, 0)),
        // 2 entries: MEDIUM curl, HIGH certifi.
        ("cvss_severity_source.json", 1, 2, sev(0, 1, 1, 0, 0)),
        // 3 tomcat-catalina entries: 1 MEDIUM, 2 LOW.
        ("cvssv4_severity_source.json", 1, 3, sev(0, 0, 1, 2, 0)),
        // Kubernetes report of misconfigurations only (13 resources, Class config): no asset.
        ("issue_10991.json", 0, 0, sev(0, 0, 0, 0, 0)),
        // `trivy config` of a folder: one terraform misconfiguration, no package result.
        ("issue_14136.json", 0, 0, sev(0, 0, 0, 0, 0)),
        ("issue_9092.json", 1, 1, sev(0, 1, 0, 0, 0)),
        // Same as issue_10991 with ClusterName "minikube".
        ("issue_9170.json", 0, 0, sev(0, 0, 0, 0, 0)),
        ("issue_9263.json", 1, 1, sev(0, 1, 0, 0, 0)),
        // 13 entries: 12 LOW, tough-cookie MEDIUM.
        ("issue_9333.json", 1, 13, sev(0, 0, 1, 12, 0)),
        // Vulnerabilities[]: 2 Deployments x 5 entries; Misconfigurations[] skipped.
        ("kubernetes.json", 2, 10, sev(0, 0, 2, 8, 0)),
        // redis-follower listed twice (3 + 4 entries), 4 distinct.
        (
            "kubernetes_fabricated_internal_duplicates.json",
            1,
            4,
            sev(0, 0, 1, 3, 0),
        ),
        // redis-follower twice, the same 2 entries each time.
        (
            "kubernetes_fabricated_internal_duplicates_subset.json",
            1,
            2,
            sev(0, 0, 1, 1, 0),
        ),
        // 3 + 4 entries on two Deployments.
        (
            "kubernetes_fabricated_subset.json",
            2,
            7,
            sev(0, 0, 2, 5, 0),
        ),
        // Legacy list, image "debian": 93 entries, 18 HIGH, 9 MEDIUM, 65 LOW, 1 UNKNOWN.
        ("legacy_many_vulns.json", 1, 93, sev(0, 18, 9, 65, 1)),
        // The file is `null`.
        ("legacy_no_vuln.json", 0, 0, sev(0, 0, 0, 0, 0)),
        // 7 entries, 6 with a VulnerabilityID (all HIGH), image "trivy-ci-test".
        ("legacy_trivy_mix.json", 1, 6, sev(0, 6, 0, 0, 0)),
        // Licenses only.
        ("license_scheme.json", 0, 0, sev(0, 0, 0, 0, 0)),
        // 2 pip entries (HIGH, MEDIUM); 1 misconfiguration and 2 secrets skipped.
        (
            "misconfigurations_and_secrets.json",
            1,
            2,
            sev(0, 1, 1, 0, 0),
        ),
        // 3 alpine + 2 jar entries: CRITICAL libbz2, HIGH krb5-libs, 3 MEDIUM.
        ("scheme_2_many_vulns.json", 1, 5, sev(1, 1, 3, 0, 0)),
        // One os-pkgs result without Vulnerabilities: the asset, no findings.
        ("scheme_2_no_vuln.json", 1, 0, sev(0, 0, 0, 0, 0)),
        // cvss_severity_source.json with Severity LOW and CRITICAL.
        ("severity_prio.json", 1, 2, sev(1, 0, 0, 1, 0)),
    ];
    let on_disk: Vec<String> = std::fs::read_dir(common::corpus("trivy"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    for name in &on_disk {
        assert!(
            expected.iter().any(|(f, ..)| f == name),
            "{name} has no expectation"
        );
    }
    for (file, assets, findings, by_sev) in expected {
        let dir = tempfile::tempdir().unwrap();
        let (ws, r) = import(dir.path(), &format!("trivy/{file}"));
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
        assert_eq!(
            common::scalar(
                &ws,
                "SELECT count(*) FROM vulnerabilities WHERE scanner <> 'trivy'"
            ),
            0
        );
    }
}

#[test]
fn schema_2_image_report() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/scheme_2_many_vulns.json");
    // ArtifactName "teamdojo:latest", Metadata.OS alpine 3.9.4, no digests, no CreatedAt.
    assert_eq!(text(&ws, "SELECT name FROM assets"), "teamdojo:latest");
    assert_eq!(text(&ws, "SELECT os FROM assets"), "alpine 3.9.4");
    assert_eq!(
        texts(&ws, "SELECT kind || '=' || value FROM asset_identifiers"),
        ["artifact=teamdojo:latest"]
    );
    // freetype 2.9.1-r2, FixedVersion 2.9.1-r3, SeveritySource nvd: nvd V3 6.5 and V2 4.3.
    let (loc, fixed, solution): (String, String, String) = ws
        .conn()
        .query_row(
            "SELECT f.location, v.fixed_version, v.solution FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id = 'CVE-2020-15999'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(loc, "freetype@2.9.1-r2");
    assert_eq!(fixed, "2.9.1-r3");
    assert_eq!(solution, "Upgrade freetype to 2.9.1-r3");
    assert_eq!(
        cvss(&ws, "CVE-2020-15999", "3"),
        (
            6.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H".to_string()
        )
    );
    assert_eq!(
        cvss(&ws, "CVE-2020-15999", "2"),
        (4.3, "AV:N/AC:M/Au:N/C:N/I:N/A:P".to_string())
    );
    // CVE-2020-28196: SeveritySource nvd, but only a redhat entry (V3 7.5): the fallback.
    assert_eq!(cvss(&ws, "CVE-2020-28196", "3").0, 7.5);
    // The jar's package: "org.apache.commons:commons-compress" 1.14; the evidence keeps Target and PkgPath.
    let evidence = text(
        &ws,
        "SELECT evidence FROM findings_with_evidence f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2018-1324'",
    );
    assert_eq!(
        evidence,
        "app/libs/commons-compress-1.14.jar: app/libs/commons-compress-1.14"
    );
    // Five CVE ids, one per entry; each vulnerability's own CVE.
    assert_eq!(
        texts(&ws, "SELECT cve FROM vulnerability_cves ORDER BY cve"),
        [
            "CVE-2018-11771",
            "CVE-2018-1324",
            "CVE-2019-12900",
            "CVE-2020-15999",
            "CVE-2020-28196"
        ]
    );
    // UNKNOWN/MEDIUM/... words are kept as the scanner's score.
    assert_eq!(
        text(
            &ws,
            "SELECT scanner_score FROM vulnerabilities WHERE scanner_id = 'CVE-2019-12900'"
        ),
        "CRITICAL"
    );
}

#[test]
fn cvss_follows_the_severity_source() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/cvss_severity_source.json");
    // certifi CVE-2023-37920: SeveritySource ghsa (V3 7.5), nvd says 9.8: ghsa's wins.
    assert_eq!(
        cvss(&ws, "CVE-2023-37920", "3"),
        (
            7.5,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N".to_string()
        )
    );
    // curl CVE-2023-46218: SeveritySource ubuntu has no CVSS entry: nvd's 6.5.
    assert_eq!(cvss(&ws, "CVE-2023-46218", "3").0, 6.5);
    // Trivy's Severity decides, not the score: MEDIUM here, LOW in severity_prio.json.
    assert_eq!(
        text(
            &ws,
            "SELECT f.severity FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2023-46218'"
        ),
        "medium"
    );

    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/cvssv4_severity_source.json");
    // CVE-2025-61795: ghsa (the source) has only V40 2.3; no nvd; V3 from bitnami (first alphabetically), 5.3.
    assert_eq!(
        cvss(&ws, "CVE-2025-61795", "4"),
        (
            2.3,
            "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/E:U".to_string()
        )
    );
    assert_eq!(
        cvss(&ws, "CVE-2025-61795", "3"),
        (
            5.3,
            "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:H".to_string()
        )
    );
    // FixedVersion lists three branches; kept as written.
    assert_eq!(
        text(
            &ws,
            "SELECT fixed_version FROM vulnerabilities WHERE scanner_id = 'CVE-2025-61795'"
        ),
        "11.0.12, 10.1.47, 9.0.110"
    );
    assert_eq!(
        texts(&ws, "SELECT DISTINCT location FROM findings"),
        ["org.apache.tomcat:tomcat-catalina@9.0.109"]
    );
    // ArtifactName lib/catalina.jar; CreatedAt 2026-02-24T07:07:53.487381Z.
    assert_eq!(text(&ws, "SELECT name FROM assets"), "lib/catalina.jar");
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings"),
        "2026-02-24T07:07:53.487Z"
    );
}

#[test]
fn statuses_and_image_ids() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/all_statuses.json");
    // ArtifactName "" and RepoDigests [""]: the asset is known by Metadata.ImageID only.
    let digest = "sha256:22ae3921bdaac434bb4cb92dbbc209e46b1f3f70e9fa0b5fbbb43ce7d452c72d";
    assert_eq!(
        texts(&ws, "SELECT kind || '=' || value FROM asset_identifiers"),
        [format!("image_digest={digest}")]
    );
    assert_eq!(text(&ws, "SELECT name FROM assets"), digest);
    // bash CVE-2019-18276 has Status not_affected: not imported.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE scanner_id = 'CVE-2019-18276'"
        ),
        0
    );
    // binutils CVE-2018-12698 is will_not_fix: imported, the status in the evidence.
    assert_eq!(
        text(
            &ws,
            "SELECT evidence FROM findings_with_evidence f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2018-12698'"
        ),
        "noppaknopsta/example-app:main-159 (debian 10.13)\nTrivy status: will_not_fix"
    );
    // TEMP-0841856-B18BAF is Debian's id, not a CVE: no CVE row for it.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerability_cves WHERE cve LIKE 'TEMP%'"
        ),
        0
    );

    // issue_9333.json is the same image (same ImageID): one asset.
    let mut ws = ws;
    let r = import_file(&mut ws, &common::corpus("trivy/issue_9333.json"), None).unwrap();
    assert_eq!(r.assets, 1);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 1);
}

#[test]
fn legacy_reports_name_the_image_from_the_os_target() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/legacy_many_vulns.json");
    // Target "debian (debian 10.8)".
    assert_eq!(text(&ws, "SELECT name FROM assets"), "debian");
    assert_eq!(text(&ws, "SELECT os FROM assets"), "debian 10.8");
    // CVE-2021-3326 is on libc-bin and libc6 (both 2.28-10): one vulnerability, two findings.
    assert_eq!(
        texts(
            &ws,
            "SELECT location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2021-3326' ORDER BY 1"
        ),
        ["libc-bin@2.28-10", "libc6@2.28-10"]
    );
    // The UNKNOWN one: TEMP-0981404-911A2F on libzstd1, no Title: titled by its id, info.
    let (title, severity, score): (String, String, String) = ws
        .conn()
        .query_row(
            "SELECT v.title, f.severity, v.scanner_score FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id = 'TEMP-0981404-911A2F'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (title.as_str(), severity.as_str(), score.as_str()),
        ("TEMP-0981404-911A2F", "info", "UNKNOWN")
    );

    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/legacy_trivy_mix.json");
    // Target "trivy-ci-test (alpine 3.7.1)"; the composer entry without VulnerabilityID is skipped.
    assert_eq!(text(&ws, "SELECT name FROM assets"), "trivy-ci-test");
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings WHERE location LIKE 'simplito/elliptic-php%'"
        ),
        0
    );
}

#[test]
fn kubernetes_resources_are_assets_named_with_their_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/kubernetes.json");
    // ClusterName + Namespace/Kind/Name of the two Vulnerabilities[] resources.
    let cluster = "arn:aws:eks:us-east-1:576036489467:cluster/monitoring-test-cluster";
    assert_eq!(
        texts(&ws, "SELECT name FROM assets ORDER BY name"),
        [
            format!("{cluster}/default/Deployment/redis-follower"),
            format!("{cluster}/default/Deployment/redis-leader")
        ]
    );
    // apt CVE-2020-27350 (FixedVersion 1.8.2.2) is in both images: one vulnerability, two findings.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'CVE-2020-27350'"
        ),
        2
    );
    assert_eq!(
        text(
            &ws,
            "SELECT fixed_version FROM vulnerabilities WHERE scanner_id = 'CVE-2020-27350'"
        ),
        "1.8.2.2"
    );
    // Its SeveritySource is nvd: V3 5.7 and V2 4.6.
    assert_eq!(cvss(&ws, "CVE-2020-27350", "3").0, 5.7);
    assert_eq!(cvss(&ws, "CVE-2020-27350", "2").0, 4.6);
}

#[test]
fn a_misconfiguration_only_scan_closes_no_vulnerability() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, first) = import(dir.path(), "trivy/misconfigurations_and_secrets.json");
    assert_eq!(first.findings, 2);
    // The same artifact "." scanned again with only the config and secret results.
    let mut doc: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::corpus("trivy/misconfigurations_and_secrets.json")).unwrap(),
    )
    .unwrap();
    doc["Results"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["Class"] != "lang-pkgs");
    let path = dir.path().join("config-only.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!((r.assets, r.findings, r.closed), (0, 0, 0));
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
        2
    );
}

#[test]
fn a_rescan_missing_one_vulnerability_closes_exactly_that_one() {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, first) = import(dir.path(), "trivy/issue_9333.json");
    assert_eq!((first.new, first.closed), (13, 0));
    // CreatedAt 2024-01-15T08:58:29.82753744Z is the scan time of every finding.
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings"),
        "2024-01-15T08:58:29.827Z"
    );
    // A day later, the same image without tough-cookie CVE-2023-26136.
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::corpus("trivy/issue_9333.json")).unwrap())
            .unwrap();
    doc["CreatedAt"] = "2024-01-16T08:58:29.82753744Z".into();
    let vulns = doc["Results"][0]["Vulnerabilities"].as_array_mut().unwrap();
    let before = vulns.len();
    vulns.retain(|v| v["VulnerabilityID"] != "CVE-2023-26136");
    assert_eq!(vulns.len(), before - 1);
    let path = dir.path().join("next-day.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!((r.new, r.unchanged, r.closed, r.reopened), (0, 12, 1, 0));
    let (id, closed_at): (String, String) = ws
        .conn()
        .query_row(
            "SELECT v.scanner_id, f.closed_at FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE f.status = 'fixed'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (id.as_str(), closed_at.as_str()),
        ("CVE-2023-26136", "2024-01-16T08:58:29.827Z")
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
        12
    );
}

/// Bad input: an error naming the file and a line and column, and the workspace as it was.
fn refused(name: &str, bytes: &[u8], format: Option<&str>, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/scheme_2_many_vulns.json");
    common::assert_refused(ws, name, bytes, format, ", column ", problem);
}

#[test]
fn truncated_json_is_refused() {
    let bytes = std::fs::read(common::corpus("trivy/legacy_many_vulns.json")).unwrap();
    // Detected from its head, then cut short.
    refused(
        "cut.json",
        &bytes[..bytes.len() * 2 / 3],
        None,
        "truncated JSON",
    );
    let bytes = std::fs::read(common::corpus("trivy/kubernetes.json")).unwrap();
    refused(
        "cut-k8s.json",
        &bytes[..bytes.len() / 2],
        None,
        "truncated JSON",
    );
    // Cut before anything names the scanner (30 bytes: `{` and "SchemaVersion": 2): still a
    // truncated file, not "a format Truce does not read".
    let bytes = std::fs::read(common::corpus("trivy/cvss_severity_source.json")).unwrap();
    refused(
        "cut-early.json",
        &bytes[..30],
        None,
        "truncated JSON: the file ends before it says which scanner",
    );
}

#[test]
fn whole_json_of_no_known_scanner_is_not_called_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "trivy/scheme_2_many_vulns.json");
    let other = br#"{"tool": "something else", "items": [1, 2]}"#;
    common::assert_refused(
        ws,
        "other.json",
        other,
        None,
        "byte 0",
        "not a report format",
    );
}

#[test]
fn json_of_the_wrong_shape_is_refused() {
    // A Grype report read as Trivy.
    let grype = std::fs::read(common::corpus("grype/many_vulns4.json")).unwrap();
    refused("grype.json", &grype, Some("trivy"), "not a Trivy report");
    refused(
        "results.json",
        br#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": {"Target": "x"}}"#,
        None,
        "invalid type: map, expected a sequence",
    );
    refused(
        "severity.json",
        br#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "x", "Class": "os-pkgs",
            "Vulnerabilities": [{"VulnerabilityID": "CVE-2024-1", "PkgName": "p", "Severity": "SEVERE"}]}]}"#,
        None,
        "unknown variant `SEVERE`",
    );
    refused(
        "nameless.json",
        br#"{"SchemaVersion": 2, "ArtifactName": "", "Results": []}"#,
        None,
        "names no artifact",
    );
    refused(
        "legacy-fs.json",
        br#"[{"Target": "package-lock.json", "Type": "npm", "Vulnerabilities": null}]"#,
        None,
        "nothing names the scanned image",
    );
    refused(
        "trailing.json",
        br#"{"SchemaVersion": 2, "ArtifactName": "x"} {}"#,
        None,
        "trailing characters",
    );
}

#[test]
fn an_empty_object_is_refused() {
    refused(
        "empty.json",
        b"{}",
        Some("trivy"),
        "not a Trivy report: no Results",
    );
}

/// A field past the limit is refused while it is read, with the file and the place, and nothing
/// is stored (issue 18: a 200 MB `Description` was accepted and stored at 686 MB).
#[test]
fn a_description_past_the_field_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::corpus("trivy/issue_9333.json")).unwrap())
            .unwrap();
    doc["Results"][0]["Vulnerabilities"][0]["Description"] = "A".repeat(17 << 20).into();
    let path = dir.path().join("huge.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let before = common::dump(&ws);
    // Forced: written back with sorted keys, the huge field comes before what detection reads.
    let e = import_file(&mut ws, &path, Some("trivy"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("huge.json: line 1, column") && e.contains("larger than 16 MB"),
        "{e}"
    );
    assert_eq!(common::dump(&ws), before);
}
