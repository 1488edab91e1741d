//! Importing OpenVEX documents (tests/corpus/scans/openvex, every file): verdicts on the
//! findings other scanners reported.
//!
//! The statements each sample yields were derived with tests/derive/cyclonedx_openvex.py
//! (json module, rules of docs/formats/openvex.md: not_affected and fixed statements only,
//! one per vulnerability name or alias x product purl):
//!   openvex_many_vuln.json: CVE-2024-10001 apk-tools@2.10.6-r0 not_affected,
//!     CVE-2024-10003 alpine-baselayout@3.1.2-r0 fixed, CVE-2024-10005 and its alias
//!     GHSA-jfh8-c2jp-5v3q zlib@1.2.11-r1 not_affected, CVE-2024-10006 openssl@1.1.1k-r0
//!     not_affected; CVE-2024-10002 (affected) and CVE-2024-10004 (under_investigation) none.
//!   openvex_one_vuln.json: CVE-2024-10001 apk-tools@2.10.6-r0 not_affected.
//!   openvex_no_vuln.json: none. openvex_not_a_document.json: a JSON list, refused.

mod common;

use std::path::Path;

use truce_core::ingest::import_file;
use truce_core::Workspace;

/// A Trivy report of one alpine image with these (id, package, version) entries.
fn trivy(
    dir: &Path,
    name: &str,
    artifact: &str,
    entries: &[(&str, &str, &str)],
) -> std::path::PathBuf {
    let vulns: Vec<serde_json::Value> = entries
        .iter()
        .map(|(id, pkg, ver)| {
            serde_json::json!({"VulnerabilityID": id, "PkgName": pkg, "InstalledVersion": ver, "Severity": "HIGH"})
        })
        .collect();
    let doc = serde_json::json!({
        "SchemaVersion": 2,
        "CreatedAt": "2026-07-01T00:00:00.000Z",
        "ArtifactName": artifact,
        "ArtifactType": "container_image",
        "Results": [{"Target": format!("{artifact} (alpine 3.10.9)"), "Class": "os-pkgs", "Type": "alpine", "Vulnerabilities": vulns}]
    });
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    path
}

/// The packages and CVEs the corpus documents talk about, plus bystanders.
fn workspace(dir: &Path) -> Workspace {
    let mut ws = common::fresh(dir);
    let p = trivy(
        dir,
        "alpine.json",
        "alpine:3.10",
        &[
            ("CVE-2024-10001", "apk-tools", "2.10.6-r0"),
            // Same CVE at another version of the package: not the product named.
            ("CVE-2024-10001", "apk-tools", "2.10.7-r0"),
            ("CVE-2024-10002", "busybox", "1.30.1-r3"),
            ("CVE-2024-10003", "alpine-baselayout", "3.1.2-r0"),
            ("CVE-2024-10004", "musl", "1.1.22-r3"),
            ("CVE-2024-10005", "zlib", "1.2.11-r1"),
            ("CVE-2024-10006", "openssl", "1.1.1k-r0"),
            // Another vulnerability of a named package.
            ("CVE-2024-99999", "apk-tools", "2.10.6-r0"),
        ],
    );
    let r = import_file(&mut ws, &p, None).unwrap();
    assert_eq!(r.new, 8);
    // A second image with the same package and CVE: a statement applies to any asset.
    let p = trivy(
        dir,
        "other.json",
        "alpine:other",
        &[("CVE-2024-10001", "apk-tools", "2.10.6-r0")],
    );
    import_file(&mut ws, &p, None).unwrap();
    ws
}

fn statuses(ws: &Workspace) -> Vec<String> {
    ws.conn()
        .prepare(
            "SELECT a.name || ' ' || v.scanner_id || ' ' || f.location || ' ' || f.status || ' ' || coalesce(f.closed_at, '-')
             FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id JOIN assets a ON a.id = f.asset_id ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn corpus_documents_mark_the_matching_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    let before = common::scalar(
        &ws,
        "SELECT count(*) FROM change_log WHERE entity = 'finding' AND field = 'status'",
    );
    let r = import_file(
        &mut ws,
        &common::corpus("openvex/openvex_many_vuln.json"),
        None,
    )
    .unwrap();
    assert_eq!(r.format, "openvex");
    // No assets or findings of its own; closed: 10001 on two images, 10003, 10005, 10006.
    assert_eq!(
        (
            r.assets,
            r.findings,
            r.new,
            r.unchanged,
            r.reopened,
            r.closed
        ),
        (0, 0, 0, 0, 0, 5)
    );
    // Statement timestamps are 2026-07-29T00:00:00Z: the closing time of the fixed one.
    assert_eq!(
        statuses(&ws),
        [
            "alpine:3.10 CVE-2024-10001 apk-tools@2.10.6-r0 false_positive -",
            "alpine:3.10 CVE-2024-10001 apk-tools@2.10.7-r0 open -",
            "alpine:3.10 CVE-2024-10002 busybox@1.30.1-r3 open -",
            "alpine:3.10 CVE-2024-10003 alpine-baselayout@3.1.2-r0 fixed 2026-07-29T00:00:00.000Z",
            "alpine:3.10 CVE-2024-10004 musl@1.1.22-r3 open -",
            "alpine:3.10 CVE-2024-10005 zlib@1.2.11-r1 false_positive -",
            "alpine:3.10 CVE-2024-10006 openssl@1.1.1k-r0 false_positive -",
            "alpine:3.10 CVE-2024-99999 apk-tools@2.10.6-r0 open -",
            "alpine:other CVE-2024-10001 apk-tools@2.10.6-r0 false_positive -",
        ]
    );
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 2);
    // One status change per changed finding (five).
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM change_log WHERE entity = 'finding' AND field = 'status'"
        ) - before,
        5
    );
    // The reason names the status, justification, impact statement, author and document.
    let reason: String = ws
        .conn()
        .query_row(
            "SELECT c.reason FROM change_log c JOIN findings f ON f.id = c.entity_id
             WHERE f.location = 'zlib@1.2.11-r1' AND c.field = 'status'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        reason,
        "VEX not_affected: inline_mitigations_already_exist (The affected code path is disabled at build time.) \
         by Example Org in https://openvex.dev/docs/public/vex-2222222222222222222222222222222222 in openvex_many_vuln.json"
    );
    // The import is recorded, with no scope.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM imports WHERE format = 'openvex' AND closed_findings = 5"
        ),
        1
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM import_scope s JOIN imports i ON i.id = s.import_id WHERE i.format = 'openvex'"),
        0
    );

    // The same document again: nothing left to change.
    let before = common::dump(&ws);
    let r = import_file(
        &mut ws,
        &common::corpus("openvex/openvex_many_vuln.json"),
        None,
    )
    .unwrap();
    assert_eq!(r.closed, 0);
    assert_eq!(common::dump(&ws), before);
}

#[test]
fn a_rescan_does_not_reopen_what_vex_marked() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    import_file(
        &mut ws,
        &common::corpus("openvex/openvex_one_vuln.json"),
        None,
    )
    .unwrap();
    // A later scan still reports the package: a false positive stays one.
    let p = trivy(
        dir.path(),
        "rescan.json",
        "alpine:other",
        &[("CVE-2024-10001", "apk-tools", "2.10.6-r0")],
    );
    let r = import_file(&mut ws, &p, None).unwrap();
    assert_eq!((r.reopened, r.unchanged), (0, 1));
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings WHERE status = 'false_positive'"
        ),
        2
    );
}

fn vex(dir: &Path, name: &str, statements: serde_json::Value) -> std::path::PathBuf {
    let doc = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.com/vex/1",
        "author": "Vendor Security",
        "timestamp": "2026-08-01T10:00:00+02:00",
        "version": 1,
        "statements": statements
    });
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    path
}

#[test]
fn synthetic_statements_not_affected_and_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
    ws.conn()
        .execute(
            "UPDATE findings SET status = 'risk_accepted' WHERE location = 'musl@1.1.22-r3'",
            [],
        )
        .unwrap();
    let p = vex(
        dir.path(),
        "vendor.vex.json",
        serde_json::json!([
            // A purl without version: every version of the package (both apk-tools).
            {"vulnerability": {"name": "cve-2024-10001"}, "products": [{"@id": "pkg:apk/alpine/apk-tools?arch=x86_64"}],
             "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            // fixed, product given as an image with the package as subcomponent; the document's time.
            {"vulnerability": {"name": "CVE-2024-10002"},
             "products": [{"@id": "pkg:oci/alpine@sha256%3Aabc", "subcomponents": [{"@id": "pkg:apk/alpine/busybox@1.30.1-r3"}]}],
             "status": "fixed"},
            // People's verdicts win: risk_accepted stays.
            {"vulnerability": {"name": "CVE-2024-10004"}, "products": [{"@id": "pkg:apk/alpine/musl@1.1.22-r3"}],
             "status": "not_affected", "justification": "component_not_present"},
            // A product that is not a purl cannot be matched: skipped.
            {"vulnerability": {"name": "CVE-2024-10006"}, "products": [{"@id": "openssl"}],
             "status": "not_affected"},
            // affected: recorded nowhere.
            {"vulnerability": {"name": "CVE-2024-99999"}, "products": [{"@id": "pkg:apk/alpine/apk-tools@2.10.6-r0"}],
             "status": "affected"}
        ]),
    );
    let r = import_file(&mut ws, &p, None).unwrap();
    // apk-tools 2.10.6-r0 on both images, 2.10.7-r0, busybox.
    assert_eq!((r.assets, r.findings, r.closed), (0, 0, 4));
    assert_eq!(
        statuses(&ws),
        [
            "alpine:3.10 CVE-2024-10001 apk-tools@2.10.6-r0 false_positive -",
            "alpine:3.10 CVE-2024-10001 apk-tools@2.10.7-r0 false_positive -",
            "alpine:3.10 CVE-2024-10002 busybox@1.30.1-r3 fixed 2026-08-01T08:00:00.000Z",
            "alpine:3.10 CVE-2024-10003 alpine-baselayout@3.1.2-r0 open -",
            "alpine:3.10 CVE-2024-10004 musl@1.1.22-r3 risk_accepted -",
            "alpine:3.10 CVE-2024-10005 zlib@1.2.11-r1 open -",
            "alpine:3.10 CVE-2024-10006 openssl@1.1.1k-r0 open -",
            "alpine:3.10 CVE-2024-99999 apk-tools@2.10.6-r0 open -",
            "alpine:other CVE-2024-10001 apk-tools@2.10.6-r0 false_positive -",
        ]
    );
    let reasons: Vec<String> = ws
        .conn()
        .prepare("SELECT DISTINCT new_value || ': ' || reason FROM change_log WHERE entity = 'finding' AND field = 'status' AND reason LIKE 'VEX%' ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        reasons,
        [
            "false_positive: VEX not_affected: vulnerable_code_not_in_execute_path by Vendor Security in https://example.com/vex/1 in vendor.vex.json",
            "fixed: VEX fixed by Vendor Security in https://example.com/vex/1 in vendor.vex.json",
        ]
    );
}

#[test]
fn a_statement_matches_a_finding_by_its_cve_too() {
    // A Grype-like id (GHSA) whose CVE is known: the CycloneDX import keeps references' CVEs.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let bom = dir.path().join("bom.json");
    std::fs::write(
        &bom,
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "serialNumber": "urn:uuid:1",
  "components": [{"bom-ref": "c", "name": "lodash", "version": "4.17.20"}],
  "vulnerabilities": [{"id": "GHSA-35jh-r3h4-6jhm", "references": [{"id": "CVE-2021-23337"}], "affects": [{"ref": "c"}]}]}"#,
    )
    .unwrap();
    import_file(&mut ws, &bom, None).unwrap();
    let p = vex(
        dir.path(),
        "v.json",
        serde_json::json!([{"vulnerability": "CVE-2021-23337", "products": ["pkg:npm/lodash@4.17.20"], "status": "not_affected"}]),
    );
    let r = import_file(&mut ws, &p, None).unwrap();
    assert_eq!(r.closed, 1);
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings WHERE status = 'false_positive'"
        ),
        1
    );
}

#[test]
fn corpus_documents_change_nothing_in_an_empty_workspace() {
    for file in [
        "openvex_many_vuln.json",
        "openvex_no_vuln.json",
        "openvex_one_vuln.json",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = common::fresh(dir.path());
        let r = import_file(&mut ws, &common::corpus(&format!("openvex/{file}")), None)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(r.format, "openvex", "{file}");
        assert_eq!(
            (
                r.assets,
                r.findings,
                r.new,
                r.closed,
                r.unchanged,
                r.reopened
            ),
            (0, 0, 0, 0, 0, 0),
            "{file}"
        );
        for table in ["assets", "findings", "vulnerabilities"] {
            assert_eq!(
                common::scalar(&ws, &format!("SELECT count(*) FROM {table}")),
                0,
                "{file} {table}"
            );
        }
        assert_eq!(
            common::scalar(
                &ws,
                "SELECT count(*) FROM change_log WHERE entity = 'finding'"
            ),
            0
        );
    }
}

fn refused(name: &str, bytes: &[u8], format: Option<&str>, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = workspace(dir.path());
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
        msg.contains(": line ") || msg.contains(": byte "),
        "{name}: a position: {msg}"
    );
    assert!(
        msg.contains(problem),
        "{name}: expected '{problem}' in: {msg}"
    );
    assert_eq!(common::dump(&ws), before, "{name}: workspace changed");
}

#[test]
fn not_a_document_is_refused() {
    let bytes = std::fs::read(common::corpus("openvex/openvex_not_a_document.json")).unwrap();
    // Not detected as anything.
    refused("not.json", &bytes, None, "not a report format Truce reads");
    // Forced: said plainly.
    refused(
        "forced.json",
        &bytes,
        Some("openvex"),
        "line 1, column 1: not an OpenVEX document: the JSON root is not an object",
    );
    // An object without @context (a CycloneDX BOM, forced).
    let bom = std::fs::read(common::corpus("cyclonedx/issue_8022.json")).unwrap();
    refused(
        "bom.json",
        &bom,
        Some("openvex"),
        "missing field `@context`",
    );
    let bytes = std::fs::read(common::corpus("openvex/openvex_many_vuln.json")).unwrap();
    refused("cut.json", &bytes[..bytes.len() / 2], None, "truncated");
    refused(
        "status.json",
        br#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [{"vulnerability": {"name": "CVE-1"}, "status": "maybe"}]}"#,
        None,
        "not an OpenVEX document: unknown variant `maybe`",
    );
    refused(
        "shape.json",
        br#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": {"status": "fixed"}}"#,
        None,
        "not an OpenVEX document",
    );
    refused(
        "context.json",
        br#"{"@context": "https://example.com", "statements": []}"#,
        Some("openvex"),
        "@context 'https://example.com' does not name openvex.dev",
    );
}

/// Statements are kept: a scan imported after the VEX document gets its verdicts too.
#[test]
fn a_statement_applies_to_findings_reported_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let doc = vex(
        dir.path(),
        "early.vex.json",
        serde_json::json!([
            {"vulnerability": {"name": "CVE-2024-20001"}, "products": [{"@id": "pkg:apk/alpine/zlib@1.2.11-r1"}],
             "status": "not_affected", "justification": "vulnerable_code_not_present"},
            {"vulnerability": {"name": "CVE-2024-20002"}, "products": [{"@id": "pkg:apk/alpine/openssl"}],
             "status": "fixed"},
        ]),
    );
    let r = import_file(&mut ws, &doc, None).unwrap();
    assert_eq!((r.assets, r.findings, r.closed), (0, 0, 0));
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vex_statements"),
        2
    );
    let scan = trivy(
        dir.path(),
        "later.json",
        "alpine:3.10",
        &[
            ("CVE-2024-20001", "zlib", "1.2.11-r1"), // not affected, this version
            ("CVE-2024-20001", "zlib", "1.2.12-r0"), // another version: the statement does not say
            ("CVE-2024-20002", "openssl", "1.1.1k-r0"), // fixed, any version
            ("CVE-2024-20003", "musl", "1.1.22-r3"), // no statement
        ],
    );
    let r = import_file(&mut ws, &scan, None).unwrap();
    assert_eq!((r.findings, r.new), (4, 4));
    assert_eq!(
        statuses(&ws),
        [
            "alpine:3.10 CVE-2024-20001 zlib@1.2.11-r1 false_positive -",
            "alpine:3.10 CVE-2024-20001 zlib@1.2.12-r0 open -",
            // Closed as of the scan that found it already declared fixed.
            "alpine:3.10 CVE-2024-20002 openssl@1.1.1k-r0 fixed 2026-07-01T00:00:00.000Z",
            "alpine:3.10 CVE-2024-20003 musl@1.1.22-r3 open -"
        ]
    );
    // The finding was created a false positive: its creation's record carries the reason.
    let created: Vec<(String, String)> = ws
        .conn()
        .prepare("SELECT new_value, reason FROM change_log WHERE entity = 'finding' AND field = 'created'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let reason = created
        .iter()
        .find(|(row, _)| {
            truce_core::changes::named(ws.conn(), "finding", row).unwrap()["status"]
                == "false_positive"
        })
        .map(|(_, reason)| reason.clone())
        .unwrap();
    assert!(
        reason.contains("vulnerable_code_not_present") && reason.contains("early.vex.json"),
        "{reason}"
    );
}
