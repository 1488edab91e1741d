//! Importing Microsoft Defender for Endpoint vulnerability JSON (tests/corpus/scans/ms_defender).
//! Expected numbers come from a separate Python reading of each file (json module): one asset
//! per machineId, one finding per distinct (machineId, cveId, productName@productVersion),
//! severity Critical/High/Medium/Low as is, else info. The .zip exports likewise (zipfile module),
//! joining vulnerabilities/*.json to machines/*.json on machineId.

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

/// Every identifier of the workspace, sorted, and the OS of every asset.
fn ids_and_os(ws: &Workspace) -> (Vec<String>, Vec<String>) {
    (
        strings(
            ws,
            "SELECT kind || '=' || value FROM asset_identifiers ORDER BY 1",
        ),
        strings(ws, "SELECT coalesce(os, '') FROM assets ORDER BY 1"),
    )
}

// All expectations of the .zip exports below come from a one-off python3 script (zipfile +
// json, not Truce): read machines/*.json into {id: record} and every vulnerabilities/*.json
// record; assets = distinct machineId; findings = distinct (machineId, cveId,
// productName@productVersion); severity Critical/High/Medium/Low else info; identifiers =
// cloud_id=machineId, computerDnsName lower-cased (fqdn when dotted without spaces, else
// hostname) and ip=lastIpAddress of the machine record with that id, if any; os = osPlatform
// (osVersion is null in all of them).
#[test]
fn zip_exports_join_machines_to_vulnerabilities() {
    // defender.zip: 4 records of machine wjeri..., which machines.json has (no DNS name,
    // lastIpAddress 1.1.1.1, osPlatform Other); Low, High, Medium, Medium.
    let (_d, ws, r) = import("defender.zip");
    assert_eq!((r.assets, r.findings), (1, 4));
    assert_eq!(r.by_severity, common::sev(0, 1, 2, 1, 0));
    let (ids, os) = ids_and_os(&ws);
    assert_eq!(ids, ["cloud_id=wjeriowerjoiewrjoweirjeowij", "ip=1.1.1.1"]);
    assert_eq!(os, ["Other"]);

    // defender_error_handling.zip: 421 records, 421 distinct findings, all on machine e20d...,
    // computerDnsName dvs-cstancu, lastIpAddress 192.168.1.3, osPlatform Windows11;
    // 5 Critical, 241 High, 136 Medium, 39 Low. Its machine record's ipAddresses are strings,
    // not objects: Truce does not read them, so they are no error.
    let (_d, ws, r) = import("defender_error_handling.zip");
    assert_eq!((r.assets, r.findings), (1, 421));
    assert_eq!(r.by_severity, common::sev(5, 241, 136, 39, 0));
    let (ids, os) = ids_and_os(&ws);
    assert_eq!(
        ids,
        [
            "cloud_id=e20d13ec6aff01641f3a6e23ea4053ce41f7c188",
            "hostname=dvs-cstancu",
            "ip=192.168.1.3"
        ]
    );
    assert_eq!(os, ["Windows11"]);

    // defender_multiple_files.zip: two vulnerabilities files, 5 records on 2 machines, both in
    // machines.json (fjweo...: afjweiofwejfio.com, 1.1.1.1, plat; wjeri...: no name, 1.1.1.1,
    // Other). The shared IP does not merge them (cloud ids differ).
    let (_d, ws, r) = import("defender_multiple_files.zip");
    assert_eq!((r.assets, r.findings), (2, 5));
    assert_eq!(r.by_severity, common::sev(1, 1, 2, 1, 0));
    let (ids, os) = ids_and_os(&ws);
    assert_eq!(
        ids,
        [
            "cloud_id=fjweoifjewiofjweoifjeowifjowei",
            "cloud_id=wjeriowerjoiewrjoweirjeowij",
            "fqdn=afjweiofwejfio.com",
            "ip=1.1.1.1",
            "ip=1.1.1.1"
        ]
    );
    assert_eq!(os, ["Other", "plat"]);

    // defender_wrong_machines.zip: machines.json names other ids; the 4 records are still
    // imported under their machineId, without enrichment. empty_machines.zip: no machines
    // file at all (a .DS_Store and empty folders), same 4 records.
    for name in ["defender_wrong_machines.zip", "empty_machines.zip"] {
        let (_d, ws, r) = import(name);
        assert_eq!((r.assets, r.findings), (1, 4), "{name}");
        assert_eq!(r.by_severity, common::sev(0, 1, 2, 1, 0), "{name}");
        let (ids, os) = ids_and_os(&ws);
        assert_eq!(ids, ["cloud_id=wjeriowerjoiewrjoweirjeowij"], "{name}");
        assert_eq!(os, [""], "{name}");
    }

    // issue_11217.zip: one Medium record; the machine's computerDnsName is a device name
    // with spaces and parentheses, kept as a host name.
    let (_d, ws, r) = import("issue_11217.zip");
    assert_eq!((r.assets, r.findings), (1, 1));
    assert_eq!(r.by_severity, common::sev(0, 0, 1, 0, 0));
    let (ids, _) = ids_and_os(&ws);
    assert_eq!(
        ids,
        [
            "cloud_id=wjeriowerjoiewrjoweirjeowij",
            "hostname=max_mustermann_ipad air (17zoll) (2nd generation)",
            "ip=1.1.1.1"
        ]
    );
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn zips_are_claimed_only_with_defender_entries() {
    let head = |b: &[u8]| {
        choose_format("x", None, &b[..b.len().min(64 * 1024)])
            .ok()
            .map(|f| f.name())
    };
    for f in [
        "defender.zip",
        "defender_error_handling.zip",
        "defender_multiple_files.zip",
        "defender_wrong_machines.zip",
        "empty_machines.zip",
        "issue_11217.zip",
    ] {
        let bytes = std::fs::read(common::corpus(&format!("ms_defender/{f}"))).unwrap();
        assert_eq!(head(&bytes), Some("defender"), "{f}");
    }
    let other = zip_of(&[("foo.txt", b"hello")]);
    assert_ne!(head(&other), Some("defender"));
}

#[test]
fn broken_zips_are_refused_with_the_entry_and_position() {
    let bytes = std::fs::read(common::corpus("ms_defender/defender.zip")).unwrap();
    // Cut in half: the central directory at the end is gone.
    let (_d, ws, _) = import("report_many_vulns.json");
    common::assert_refused(
        ws,
        "cut.zip",
        &bytes[..bytes.len() / 2],
        Some("defender"),
        "byte 0",
        "not a readable .zip archive",
    );
    // An entry that is not valid JSON: its name, line and column.
    let broken = zip_of(&[(
        "vulnerabilities/x.json",
        b"{\"value\": [\n  {\"cveId\": }]}",
    )]);
    let (_d, ws, _) = import("report_many_vulns.json");
    common::assert_refused(
        ws,
        "broken.zip",
        &broken,
        Some("defender"),
        "entry vulnerabilities/x.json: line 2, column ",
        "malformed JSON",
    );
    // Machines only: nothing to import, said so.
    let machines_only = zip_of(&[("machines/m.json", b"{\"value\": []}")]);
    let (_d, ws, _) = import("report_many_vulns.json");
    common::assert_refused(
        ws,
        "machines.zip",
        &machines_only,
        None,
        "byte 0",
        "no vulnerabilities/*.json entry",
    );
}
