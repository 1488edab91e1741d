//! Importing Microsoft Defender for Endpoint vulnerability JSON (shared/corpus/scans/ms_defender).
//! Expected numbers come from a separate Python reading of each file (json module): one asset
//! per machineId, one finding per distinct (machineId, cveId, productName@productVersion),
//! severity Critical/High/Medium/Low as is, else info. The .zip exports are not supported yet.

mod common;

use truce_core::ingest::{choose_format, import_file};
use truce_core::model::SeverityCounts;
use truce_core::Workspace;

fn strings(ws: &Workspace, sql: &str) -> Vec<String> {
    ws.conn()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn import(
    name: &str,
) -> (
    tempfile::TempDir,
    Workspace,
    truce_core::model::ImportReport,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(
        &mut ws,
        &common::corpus(&format!("ms_defender/{name}")),
        None,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.format, "defender");
    (dir, ws, r)
}

#[test]
fn many_vulns_is_one_machine_with_four_findings() {
    let (_dir, ws, r) = import("report_many_vulns.json");
    // 4 records, all machineId wjeriowerjoiewrjoweirjeowij, tools@1.2.3.4; severities Low, High, Medium, Medium.
    assert_eq!((r.assets, r.findings, r.new), (1, 4, 4));
    assert_eq!(
        r.by_severity,
        SeverityCounts {
            critical: 0,
            high: 1,
            medium: 2,
            low: 1,
            info: 0
        }
    );
    assert_eq!(
        strings(&ws, "SELECT kind || '=' || value FROM asset_identifiers"),
        ["cloud_id=wjeriowerjoiewrjoweirjeowij"]
    );
    assert_eq!(
        strings(&ws, "SELECT cve FROM vulnerability_cves ORDER BY cve"),
        [
            "CVE-1234-5678",
            "CVE-1234-56788",
            "CVE-5678-8888",
            "CVE-5678-9887"
        ]
    );
    assert_eq!(
        strings(&ws, "SELECT DISTINCT location FROM findings"),
        ["tools@1.2.3.4"]
    );
    assert_eq!(
        strings(&ws, "SELECT DISTINCT scanner FROM vulnerabilities"),
        ["defender"]
    );
    // The High one is CVE-1234-56788.
    assert_eq!(
        strings(&ws, "SELECT v.scanner_id FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE f.severity = 'high'"),
        ["CVE-1234-56788"]
    );
}

#[test]
fn one_vuln_and_no_vuln() {
    // report_one_vuln: one Low record for machine fjweoifjewiofjweoifjeowifjowei.
    let (_dir, ws, r) = import("report_one_vuln.json");
    assert_eq!((r.assets, r.findings, r.by_severity.low), (1, 1, 1));
    assert_eq!(
        strings(&ws, "SELECT name FROM assets"),
        ["fjweoifjewiofjweoifjeowifjowei"]
    );
    // report_no_vuln: "value": [] — nothing to import, and no machine is named.
    let (_dir, ws, r) = import("report_no_vuln.json");
    assert_eq!((r.assets, r.findings), (0, 0));
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM imports"), 1);
}

#[test]
fn repeats_merge_and_dns_names_and_kbs_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let path = dir.path().join("export.json");
    std::fs::write(
        &path,
        br#"{"@odata.context": "https://api.securitycenter.windows.com/api/$metadata#Vulnerabilities", "value": [
          {"id": "1", "cveId": "CVE-2024-1111", "machineId": "m1", "computerDnsName": "WS01.corp.example", "productName": "edge", "productVersion": "1.0", "severity": "Critical", "fixingKbId": "5034441"},
          {"id": "2", "cveId": "CVE-2024-1111", "machineId": "m1", "productName": "edge", "productVersion": "1.0", "severity": "Critical"},
          {"id": "3", "cveId": "CVE-2024-1111", "machineId": "m2", "productName": "edge", "productVersion": "1.0", "severity": "Critical"},
          {"id": "4", "cveId": "CVE-2024-2222", "machineId": "m1", "productName": "office", "productVersion": "16", "severity": "None"}]}"#,
    )
    .unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    // m1: CVE-2024-1111 on edge@1.0 twice (one finding) + CVE-2024-2222; m2: one.
    assert_eq!((r.assets, r.findings), (2, 3));
    assert_eq!(
        r.by_severity,
        SeverityCounts {
            critical: 2,
            high: 0,
            medium: 0,
            low: 0,
            info: 1
        }
    );
    assert_eq!(
        strings(
            &ws,
            "SELECT kind || '=' || value FROM asset_identifiers ORDER BY 1"
        ),
        ["cloud_id=m1", "cloud_id=m2", "fqdn=ws01.corp.example"]
    );
    assert_eq!(
        strings(
            &ws,
            "SELECT solution FROM vulnerabilities WHERE scanner_id = 'CVE-2024-1111'"
        ),
        ["Install update KB5034441"]
    );
}

#[test]
fn detection_claims_defender_files_only() {
    let detect = |p: &std::path::Path| {
        let bytes = std::fs::read(p).unwrap();
        choose_format("x", None, &bytes[..bytes.len().min(64 * 1024)])
            .ok()
            .map(|f| f.name())
    };
    for f in [
        "report_many_vulns.json",
        "report_no_vuln.json",
        "report_one_vuln.json",
    ] {
        assert_eq!(
            detect(&common::corpus(&format!("ms_defender/{f}"))),
            Some("defender"),
            "{f}"
        );
    }
    for folder in [
        "trivy",
        "grype",
        "sarif",
        "tenable/nessus",
        "cyclonedx",
        "openvex",
    ] {
        for e in std::fs::read_dir(common::corpus(folder)).unwrap() {
            let p = e.unwrap().path();
            assert_ne!(detect(&p), Some("defender"), "{}", p.display());
        }
    }
}

fn refused(name: &str, bytes: &[u8], problem: &str) {
    let (_dir, ws, _) = import("report_many_vulns.json");
    common::assert_refused(ws, name, bytes, Some("defender"), "line ", problem);
}

#[test]
fn bad_input_is_refused_with_its_position() {
    let bytes = std::fs::read(common::corpus("ms_defender/report_many_vulns.json")).unwrap();
    // Cut two thirds in, inside the value array: the JSON ends early.
    let cut = &bytes[..bytes.len() * 2 / 3];
    refused("cut.json", cut, "truncated");
    refused("cut2.json", cut, ", column ");
    refused(
        "nocve.json",
        b"{\"value\": [\n  {\"machineId\": \"m1\", \"severity\": \"Low\"}]}",
        "line 2, column 40: not a Defender vulnerability export: missing field `cveId`",
    );
    refused(
        "shape.json",
        b"{\"value\": {\"cveId\": \"CVE-2024-1\"}}",
        "line 1, column 11: not a Defender vulnerability export: invalid type: map, expected a sequence",
    );
}
