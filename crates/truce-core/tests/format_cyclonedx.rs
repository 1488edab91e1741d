//! Importing real CycloneDX BOMs (tests/corpus/scans/cyclonedx, every file, JSON and XML).
//!
//! Counts were derived from the files with tests/derive/cyclonedx_openvex.py: Python's json
//! and xml.etree, applying the rules of docs/formats/cyclonedx.md (one finding per
//! vulnerability id and affected component "name@version"; severity from the first
//! CVSSv31/CVSSv3/CVSSv4 rating's score band, else the first severity word; analysis.state
//! not_affected/false_positive -> false_positive, resolved* -> fixed). Single values were
//! read from the files, as each comment says.

mod common;

use common::{text, texts};

use std::path::Path;

use truce_core::ingest::import_file;
use truce_core::model::{ImportReport, SeverityCounts};
use truce_core::Workspace;

fn sev(critical: u32, high: u32, medium: u32, low: u32, info: u32) -> SeverityCounts {
    SeverityCounts {
        critical,
        high,
        medium,
        low,
        info,
    }
}

fn import(dir: &Path, rel: &str) -> (Workspace, ImportReport) {
    common::import_detected(dir, rel, "cyclonedx")
}

const SERIAL: &str = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79";
const LOG4J: &str = "./configuration/.m2/repository/org/apache/logging/log4j/log4j-core/2.13.2";

#[test]
fn every_sample_imports_with_the_counts_read_from_the_file() {
    // (file, asset name or "" for no asset, findings, by severity, false positives):
    // from tests/derive/cyclonedx_openvex.py. No sample has a resolved analysis state.
    let expected: &[(&str, &str, u32, SeverityCounts, i64)] = &[
        // 73 components, no vulnerabilities section anywhere: an inventory, no asset.
        ("cyclonedx_bom.xml", "", 0, sev(0, 0, 0, 0, 0), 0),
        // Grype 0.11, extension 1.0 inside 74 components: 381 v:vulnerability; 115 CVSSv3
        // ratings give their score's band, the rest Grype's word (33 Unknown -> info).
        (
            "dd_1_15_0.xml",
            "defectdojo/defectdojo-django:1.15.0@sha256:b914ffbdf28309f2f5fc46caf1a78bbd90f1e2786dd0f01b69c8b00a07a9d078",
            381,
            sev(4, 27, 168, 141, 41),
            0,
        ),
        (
            "grype.xml",
            "defectdojo/defectdojo-django:1.13.1@sha256:91bc0f1478c6d26e04da5c2a59ac20262ec2661942418e2a3e7c77245d872658",
            327,
            sev(5, 23, 147, 133, 19),
            0,
        ),
        (
            "grype_dd_1_14_1.xml",
            "defectdojo/defectdojo-django:1.14.1@sha256:53302007b6bca69dbb20922a2efcf873ff28947732a28bf6b4d33d17006463b5",
            312,
            sev(5, 30, 131, 137, 9),
            0,
        ),
        // No metadata.component: the serialNumber. CVSSv3 9.8; analysis not_affected.
        ("issue_8022.json", SERIAL, 1, sev(1, 0, 0, 0, 0), 1),
        // Trivy 0.48: 10 vulnerabilities affecting 14 packages.
        ("issue_9277.json", "ubuntu:latest", 14, sev(0, 5, 5, 4, 0), 0),
        // 204 components, no vulnerabilities.
        ("jake.xml", "", 0, sev(0, 0, 0, 0, 0), 0),
        // OSS Index: 7 vulnerabilities on django, CVSSv3 7.5 x3 and 4 mediums.
        (
            "jake2.json",
            "urn:uuid:cae44a0d-ea73-4f5e-babd-07003f849cbe",
            7,
            sev(0, 3, 4, 0, 0),
            0,
        ),
        // 8 on log4j-core, all in_triage (open). 4 CVEs with CVSSv31 10, 6.6, 9, 5.9 and 4
        // GHSAs with only words critical, medium, critical, high: 4 critical, 1 high, 3 medium.
        ("log4j.json", LOG4J, 8, sev(4, 1, 3, 0, 0), 0),
        ("log4j.xml", LOG4J, 8, sev(4, 1, 3, 0, 0), 0),
        // One vulnerability, CVSSv31 10.
        ("multiple_cwes_fabricated.xml", "./example", 1, sev(1, 0, 0, 0, 0), 0),
        // log4j.json with the component nested in a container component.
        ("nested-component-log4j.json", LOG4J, 8, sev(4, 1, 3, 0, 0), 0),
        // No subject, no serialNumber: the file name; CVSSv3 10 without a word.
        ("no-severity.json", "no-severity.json", 1, sev(1, 0, 0, 0, 0), 0),
        // 6 components, no vulnerabilities.
        ("retirejs.latest.xml", "", 0, sev(0, 0, 0, 0, 0), 0),
        // Extension 1.0 at the top level: CVSSv3 9.8 (Critical) and an OWASP Low rating.
        ("spec1.xml", SERIAL, 1, sev(1, 0, 0, 0, 0), 0),
        // The same with the Low rating first: CVSSv3 still decides.
        ("spec1_lowfirst.xml", SERIAL, 1, sev(1, 0, 0, 0, 0), 0),
        ("valid-vulnerability-1.4.json", SERIAL, 1, sev(1, 0, 0, 0, 0), 1),
        ("valid-vulnerability-1.4.xml", SERIAL, 1, sev(1, 0, 0, 0, 0), 1),
    ];
    let on_disk: Vec<String> = std::fs::read_dir(common::corpus("cyclonedx"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(on_disk.len(), expected.len());
    for name in &on_disk {
        assert!(
            expected.iter().any(|(f, ..)| f == name),
            "{name} has no expectation"
        );
    }
    for (file, asset, findings, by_sev, false_positives) in expected {
        let dir = tempfile::tempdir().unwrap();
        let (ws, r) = import(dir.path(), &format!("cyclonedx/{file}"));
        let assets = u32::from(!asset.is_empty());
        assert_eq!(
            (r.assets, r.findings, r.new, r.closed),
            (assets, *findings, *findings, 0),
            "{file}"
        );
        assert_eq!(r.by_severity, *by_sev, "{file}");
        assert_eq!(
            texts(&ws, "SELECT name FROM assets"),
            if asset.is_empty() {
                vec![]
            } else {
                vec![asset.to_string()]
            },
            "{file}"
        );
        assert_eq!(
            common::scalar(
                &ws,
                "SELECT count(*) FROM findings WHERE status = 'false_positive'"
            ),
            *false_positives,
            "{file}"
        );
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
            *findings as i64 - false_positives,
            "{file}"
        );
        assert_eq!(
            common::scalar(
                &ws,
                "SELECT count(*) FROM vulnerabilities WHERE scanner <> 'cyclonedx'"
            ),
            0
        );
    }
}

#[test]
fn analysis_not_affected_makes_a_false_positive_with_its_reason() {
    for file in [
        "issue_8022.json",
        "valid-vulnerability-1.4.json",
        "valid-vulnerability-1.4.xml",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (ws, r) = import(dir.path(), &format!("cyclonedx/{file}"));
        // A new finding, already a false positive.
        assert_eq!((r.new, r.closed), (1, 0), "{file}");
        // affects ref pkg:maven/...jackson-databind@2.9.4 -> component jackson-databind 2.9.4.
        let (loc, status, closed_at): (String, String, Option<String>) = ws
            .conn()
            .query_row(
                "SELECT location, status, closed_at FROM findings",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (loc.as_str(), status.as_str(), closed_at),
            ("jackson-databind@2.9.4", "false_positive", None),
            "{file}"
        );
        // analysis: state not_affected, justification code_not_reachable, detail "An optional ...".
        // Created in that status: the record of its creation says so, with the reason.
        let (row, reason): (String, String) = ws
            .conn()
            .query_row(
                "SELECT new_value, reason FROM change_log WHERE entity = 'finding' AND field = 'created'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let row = truce_core::changes::named(ws.conn(), "finding", &row).unwrap();
        assert_eq!(row["status"], "false_positive");
        assert_eq!(
            reason,
            format!("VEX not_affected: code_not_reachable (An optional explanation of why the application is not affected by the vulnerable component.) in {file}")
        );
        // id SNYK-JAVA-..., references CVE-2018-7489 (twice in the XML); rating CVSSv3 9.8.
        assert_eq!(
            texts(&ws, "SELECT scanner_id || ' ' || cve FROM vulnerabilities JOIN vulnerability_cves ON vulnerability_id = id"),
            ["SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111 CVE-2018-7489"]
        );
        assert_eq!(
            text(
                &ws,
                "SELECT cvss3_score || ' ' || cvss3_vector FROM vulnerabilities"
            ),
            "9.8 AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
        );
        assert_eq!(
            text(&ws, "SELECT scanner_score FROM vulnerabilities"),
            "critical"
        );
    }
    // recommendation (in valid-vulnerability-1.4 only) is the fix text.
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "cyclonedx/valid-vulnerability-1.4.xml");
    assert_eq!(
        text(&ws, "SELECT solution FROM vulnerabilities"),
        "Upgrade com.fasterxml.jackson.core:jackson-databind to version 2.6.7.5, 2.8.11.1, 2.9.5 or higher."
    );
}

#[test]
fn in_triage_stays_open_and_cvss_comes_by_version() {
    for file in ["log4j.json", "log4j.xml", "nested-component-log4j.json"] {
        let dir = tempfile::tempdir().unwrap();
        let (ws, _) = import(dir.path(), &format!("cyclonedx/{file}"));
        // All 8 analysis states are in_triage: open, the state kept in the evidence.
        assert_eq!(
            texts(
                &ws,
                "SELECT DISTINCT status || ' ' || evidence FROM findings_with_evidence"
            ),
            ["open CycloneDX analysis: in_triage"],
            "{file}"
        );
        // Every affects ref is log4j-core's bom-ref (nested in a container in the third file).
        assert_eq!(
            texts(&ws, "SELECT DISTINCT location FROM findings"),
            ["log4j-core@2.13.2"]
        );
        // CVE-2021-44832: ratings [severity medium], [CVSSv2 6.6], [CVSSv31 6.6 CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H].
        let row: (f64, String, f64, String, String) = ws
            .conn()
            .query_row(
                "SELECT cvss2_score, cvss2_vector, cvss3_score, cvss3_vector, f.severity FROM vulnerabilities v
                 JOIN findings f ON f.vulnerability_id = v.id WHERE scanner_id = 'CVE-2021-44832'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            (
                6.6,
                "AV:N/AC:M/Au:S/C:C/I:C/A:C".into(),
                6.6,
                "CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:H".into(),
                "medium".into()
            ),
            "{file}"
        );
        // The 4 GHSA ids carry no CVE of their own (no references): 4 CVE rows.
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves"),
            4
        );
    }
}

#[test]
fn image_boms_are_known_by_their_digests() {
    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "cyclonedx/issue_9277.json");
    // metadata.component: container ubuntu:latest, purl pkg:oci/ubuntu@sha256%3A6042...,
    // properties RepoDigest ubuntu@sha256:6042... and ImageID sha256:174c...
    assert_eq!(
        texts(
            &ws,
            "SELECT kind || '=' || value FROM asset_identifiers ORDER BY kind, value"
        ),
        [
            "artifact=pkg:oci/ubuntu@sha256%3A6042500cf4b44023ea1894effe7890666b0c5c7871ed83a97c36c76ae560bb9b?arch=amd64&repository_url=index.docker.io%2Flibrary%2Fubuntu",
            "artifact=ubuntu:latest",
            "image_digest=sha256:174c8c134b2a94b5bb0b37d9a2b6ba0663d82d23ebf62bd51f74a2fd457333da",
            "image_digest=sha256:6042500cf4b44023ea1894effe7890666b0c5c7871ed83a97c36c76ae560bb9b",
        ]
    );
    // CVE-2022-27943 affects three packages; libstdc%2B%2B6 is decoded by its component.
    assert_eq!(
        texts(
            &ws,
            "SELECT location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE scanner_id = 'CVE-2022-27943' ORDER BY 1"
        ),
        [
            "gcc-12-base@12.3.0-1ubuntu1~22.04",
            "libgcc-s1@12.3.0-1ubuntu1~22.04",
            "libstdc++6@12.3.0-1ubuntu1~22.04"
        ]
    );
    // CVE-2016-2781: first CVSSv3 rating is nvd's 6.5 (medium), before redhat's 8.6.
    assert_eq!(
        text(
            &ws,
            "SELECT f.severity || ' ' || v.cvss3_score FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE scanner_id = 'CVE-2016-2781'"
        ),
        "medium 6.5"
    );
    // metadata.timestamp 2024-01-04T15:25:30+00:00 is the scan time.
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings"),
        "2024-01-04T15:25:30.000Z"
    );

    let dir = tempfile::tempdir().unwrap();
    let (ws, _) = import(dir.path(), "cyclonedx/dd_1_15_0.xml");
    // The subject's version is the image digest.
    assert_eq!(
        texts(
            &ws,
            "SELECT value FROM asset_identifiers WHERE kind = 'image_digest'"
        ),
        ["sha256:b914ffbdf28309f2f5fc46caf1a78bbd90f1e2786dd0f01b69c8b00a07a9d078"]
    );
    // apt 1.8.2.1 holds CVE-2011-3374 (CVSSv2 4.3, Grype says Low) and CVE-2020-27350.
    assert_eq!(
        text(
            &ws,
            "SELECT f.location || ' ' || f.severity || ' ' || v.cvss2_score FROM findings f
             JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE scanner_id = 'CVE-2011-3374'"
        ),
        "apt@1.8.2.1 low 4.3"
    );
}

/// A small BOM of one vulnerability on one component, with an analysis state, at a time.
fn bom(state: Option<&str>, timestamp: &str) -> Vec<u8> {
    let analysis = match state {
        Some(s) => format!(
            r#", "analysis": {{"state": "{s}", "justification": "protected_by_mitigating_control"}}"#
        ),
        None => String::new(),
    };
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {{"timestamp": "{timestamp}", "component": {{"type": "application", "name": "shop", "version": "2.0"}}}},
  "components": [{{"bom-ref": "c1", "type": "library", "name": "lodash", "version": "4.17.20"}},
                 {{"bom-ref": "c2", "type": "library", "name": "minimist", "version": "1.2.5"}}],
  "vulnerabilities": [
    {{"id": "CVE-2021-23337", "ratings": [{{"severity": "high"}}], "affects": [{{"ref": "c1"}}]{analysis}}},
    {{"id": "CVE-2021-44906", "ratings": [{{"severity": "critical"}}], "affects": [{{"ref": "c2"}}]}}
  ]}}"#
    )
    .into_bytes()
}

fn status_of(ws: &Workspace, id: &str) -> (String, Option<String>) {
    ws.conn()
        .query_row(
            "SELECT f.status, f.closed_at FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE scanner_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn a_later_bom_with_a_verdict_closes_the_open_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let first = dir.path().join("bom-1.json");
    std::fs::write(&first, bom(Some("in_triage"), "2026-01-01T00:00:00.000Z")).unwrap();
    let r = import_file(&mut ws, &first, None).unwrap();
    assert_eq!((r.new, r.closed), (2, 0));
    // resolved: fixed at the BOM's time, counted as closed, logged.
    let second = dir.path().join("bom-2.json");
    std::fs::write(&second, bom(Some("resolved"), "2026-01-02T00:00:00.000Z")).unwrap();
    let r = import_file(&mut ws, &second, None).unwrap();
    assert_eq!((r.new, r.closed, r.unchanged, r.reopened), (0, 1, 1, 0));
    assert_eq!(
        status_of(&ws, "CVE-2021-23337"),
        ("fixed".into(), Some("2026-01-02T00:00:00.000Z".into()))
    );
    assert_eq!(status_of(&ws, "CVE-2021-44906").0, "open");
    assert_eq!(
        text(
            &ws,
            "SELECT reason FROM change_log WHERE entity = 'finding' AND new_value = 'fixed'"
        ),
        "VEX resolved: protected_by_mitigating_control in bom-2.json"
    );
    // A third BOM still listing it as resolved does not reopen it.
    let third = dir.path().join("bom-3.json");
    std::fs::write(&third, bom(Some("resolved"), "2026-01-03T00:00:00.000Z")).unwrap();
    let r = import_file(&mut ws, &third, None).unwrap();
    assert_eq!((r.closed, r.reopened), (0, 0));
    assert_eq!(status_of(&ws, "CVE-2021-23337").0, "fixed");
    // Without the verdict it is seen again: reopened.
    let fourth = dir.path().join("bom-4.json");
    std::fs::write(&fourth, bom(None, "2026-01-04T00:00:00.000Z")).unwrap();
    let r = import_file(&mut ws, &fourth, None).unwrap();
    assert_eq!(r.reopened, 1);
}

#[test]
fn peoples_verdicts_win_over_the_bom() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let first = dir.path().join("bom-1.json");
    std::fs::write(&first, bom(None, "2026-01-01T00:00:00.000Z")).unwrap();
    import_file(&mut ws, &first, None).unwrap();
    ws.conn()
        .execute("UPDATE findings SET status = 'risk_accepted'", [])
        .unwrap();
    let status_changes =
        "SELECT count(*) FROM change_log WHERE entity = 'finding' AND field = 'status'";
    let before = common::scalar(&ws, status_changes);
    for (i, state) in ["false_positive", "resolved"].iter().enumerate() {
        let path = dir.path().join(format!("bom-{}.json", i + 2));
        std::fs::write(
            &path,
            bom(Some(state), &format!("2026-01-0{}T00:00:00Z", i + 2)),
        )
        .unwrap();
        let r = import_file(&mut ws, &path, None).unwrap();
        assert_eq!(r.closed, 0, "{state}");
        assert_eq!(
            status_of(&ws, "CVE-2021-23337").0,
            "risk_accepted",
            "{state}"
        );
    }
    assert_eq!(common::scalar(&ws, status_changes) - before, 0);
}

/// Bad input: an error naming the file and a position, and the workspace as it was.
fn refused(name: &str, bytes: &[u8], format: Option<&str>, position: &str, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (mut ws, _) = import(dir.path(), "cyclonedx/issue_9277.json");
    let before = common::dump(&ws);
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let e = import_file(&mut ws, &path, format)
        .err()
        .unwrap_or_else(|| panic!("{name} was accepted"));
    assert!(
        matches!(
            e,
            truce_core::Error::BadInput { .. } | truce_core::Error::UnknownFormat { .. }
        ),
        "{name}: {e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains(name), "{name}: message names the file: {msg}");
    assert!(
        msg.contains(position),
        "{name}: position '{position}' in: {msg}"
    );
    assert!(
        msg.contains(problem),
        "{name}: expected '{problem}' in: {msg}"
    );
    assert_eq!(common::dump(&ws), before, "{name}: workspace changed");
}

#[test]
fn truncated_files_are_refused() {
    let bytes = std::fs::read(common::corpus("cyclonedx/jake2.json")).unwrap();
    refused(
        "cut.json",
        &bytes[..bytes.len() / 2],
        None,
        ": line ",
        "truncated",
    );
    let bytes = std::fs::read(common::corpus("cyclonedx/log4j.xml")).unwrap();
    refused(
        "cut.xml",
        &bytes[..bytes.len() / 2],
        None,
        ": byte ",
        "truncated",
    );
}

#[test]
fn wrong_shapes_are_refused() {
    refused(
        "vulns.json",
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.4", "vulnerabilities": {"id": "x"}}"#,
        None,
        "line 1, column ",
        "invalid type: map, expected a sequence",
    );
    refused(
        "score.json",
        br#"{"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "x", "ratings": [{"score": "high"}]}]}"#,
        None,
        "line 1, column ",
        "invalid type: string",
    );
    // A Grype JSON report read as CycloneDX.
    let grype = std::fs::read(common::corpus("grype/many_vulns4.json")).unwrap();
    refused(
        "grype.json",
        &grype,
        Some("cyclonedx"),
        "line ",
        "missing field `bomFormat`",
    );
    refused(
        "spdx.json",
        br#"{"bomFormat": "SPDX", "vulnerabilities": []}"#,
        Some("cyclonedx"),
        "line 1",
        "unknown variant `SPDX`",
    );
    // A .nessus file read as CycloneDX.
    let nessus = std::fs::read(common::corpus("tenable/nessus/nessus_many_vuln.xml")).unwrap();
    refused(
        "nessus.xml",
        &nessus,
        Some("cyclonedx"),
        "byte ",
        "not a CycloneDX BOM: the root element is <NessusClientData_v2>",
    );
    refused(
        "badscore.xml",
        br#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><vulnerabilities><vulnerability><id>x</id>
            <ratings><rating><score>ten</score></rating></ratings></vulnerability></vulnerabilities></bom>"#,
        None,
        "byte ",
        "a rating score is not a number: 'ten'",
    );
}

#[test]
fn hostile_xml_is_refused() {
    refused(
        "laughs.xml",
        br#"<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><vulnerabilities><vulnerability><id>&b;</id></vulnerability></vulnerabilities></bom>"#,
        None,
        "byte ",
        "declares XML entities",
    );
    refused(
        "xxe.xml",
        br#"<?xml version="1.0"?>
<!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><metadata><component><name>&x;</name></component></metadata></bom>"#,
        Some("cyclonedx"),
        "byte ",
        "declares XML entities",
    );
    refused(
        "undefined.xml",
        br#"<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><vulnerabilities><vulnerability><id>&nope;</id></vulnerability></vulnerabilities></bom>"#,
        None,
        "byte ",
        "undefined entity &nope;",
    );
}

/// Scan times of different precision are compared as times. A report without a scan time is
/// dated by the clock, in milliseconds; scanners' times are whole seconds. Half a second after a
/// scan is later, though "…00.500Z" sorts before "…00Z" as text.
#[test]
fn a_report_half_a_second_after_a_scan_closes_what_it_no_longer_reports() {
    let dir = tempfile::tempdir().unwrap();
    drop(common::fresh(dir.path()));
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-02T00:00:00.5Z")
        .unwrap()
        .to_utc();
    let mut ws = common::open_at(&dir.path().join("w.truce"), at);
    let first = dir.path().join("bom-1.json");
    std::fs::write(&first, bom(None, "2026-01-02T00:00:00.000Z")).unwrap();
    import_file(&mut ws, &first, None).unwrap();
    // The same application, in a BOM that carries no time: lodash's vulnerability is gone.
    let later = String::from_utf8(bom(None, "-"))
        .unwrap()
        .replace(r#""timestamp": "-", "#, "")
        .replace(
            r#"{"id": "CVE-2021-23337", "ratings": [{"severity": "high"}], "affects": [{"ref": "c1"}]},"#,
            "",
        );
    assert!(
        !later.contains("CVE-2021-23337") && !later.contains("timestamp"),
        "{later}"
    );
    let second = dir.path().join("bom-2.json");
    std::fs::write(&second, later).unwrap();
    let r = import_file(&mut ws, &second, None).unwrap();
    assert_eq!(r.closed, 1);
    let (status, closed_at) = status_of(&ws, "CVE-2021-23337");
    assert_eq!(
        (status.as_str(), closed_at.as_deref()),
        ("fixed", Some("2026-01-02T00:00:00.500Z"))
    );
    // The other one was seen again, half a second later.
    assert_eq!(
        common::text(
            &ws,
            "SELECT f.last_seen FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE scanner_id = 'CVE-2021-44906'"
        ),
        "2026-01-02T00:00:00.500Z"
    );
}
