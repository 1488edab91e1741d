//! Importing pages of Tenable Security Center's vulnerability details as the SC source hands
//! them over (tests/corpus/scans/tenable/sc-analysis, see its README): keyed as a .nessus file and
//! Tenable VM's export key them, every value read from SC's strings, `patched` closing. Expected
//! values are read from the JSON files.

mod common;

use serde_json::{json, Value};
use truce_core::ingest::import_file;

/// The page the source hands over for one of SC's answers (docs/formats/tenable-sc.md).
fn page(dir: &std::path::Path, name: &str, source_type: &str) -> std::path::PathBuf {
    let text = std::fs::read(common::corpus(&format!("tenable/sc-analysis/{name}"))).unwrap();
    let answer: Value = serde_json::from_slice(&text).unwrap();
    let path = dir.join(format!("page-{name}"));
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({"tenable_sc": {"sourceType": source_type, "results": answer["response"]["results"]}})).unwrap(),
    )
    .unwrap();
    path
}

#[test]
fn cumulative_results_land_as_nessus_findings_and_patched_ones_close() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(
        &mut ws,
        &page(dir.path(), "cumulative.json", "cumulative"),
        None,
    )
    .unwrap();
    assert_eq!(r.format, "tenable-sc", "detected without --format");
    assert_eq!((r.assets, r.findings, r.new), (2, 3, 3), "{r:?}");
    assert_eq!(
        common::status_at(&ws, "qa3app09", "18405", "3389/tcp"),
        ["open"]
    );
    assert_eq!(
        common::status_at(&ws, "10.31.112.29", "57608", "445/tcp"),
        ["open"]
    );
    assert_eq!(
        common::status_at(&ws, "web01.example.com", "156103", "8080/tcp"),
        ["open"]
    );
    let (scanner, severity, score, cves, cvss3, vector, exploit, evidence): (String, String, String, String, f64, String, bool, String) = ws
        .conn()
        .query_row(
            "SELECT v.scanner, v.severity, v.scanner_score,
                    (SELECT group_concat(cve) FROM vulnerability_cves c WHERE c.vulnerability_id = v.id),
                    v.cvss3_score, v.cvss3_vector, v.exploit_available,
                    (SELECT f.evidence FROM findings_with_evidence f WHERE f.vulnerability_id = v.id)
             FROM vulnerabilities v WHERE v.scanner_id = '156103'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
        )
        .unwrap();
    assert_eq!(
        (
            scanner.as_str(),
            severity.as_str(),
            score.as_str(),
            cves.as_str(),
            cvss3,
            exploit
        ),
        ("nessus", "high", "VPR 7.4", "CVE-2021-4104", 7.5, true)
    );
    assert_eq!(vector, "CVSS:3.0/AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H");
    assert!(
        evidence.contains("log4j-1.2.17.jar") && !evidence.contains("plugin_output"),
        "{evidence}"
    );
    let keys: Vec<String> = ws
        .conn()
        .prepare(
            "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id =
               (SELECT asset_id FROM asset_identifiers WHERE value = '10.31.112.29')
             ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        keys,
        [
            "fqdn=qa3app09.example.com",
            "hostname=qa3app09",
            "ip=10.31.112.29",
            "mac=00:50:56:81:01:e3",
            "netbios=qa3app09"
        ]
    );
    let r = import_file(&mut ws, &page(dir.path(), "patched.json", "patched"), None).unwrap();
    assert_eq!((r.findings, r.new), (1, 1), "{r:?}");
    assert_eq!(
        common::status_at(&ws, "qa3app09", "58453", "3389/tcp"),
        ["fixed"]
    );
}

#[test]
fn sc_and_tenable_vm_name_one_host_and_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(
        &mut ws,
        &common::corpus("tenable/vm-export/chunk-1.json"),
        None,
    )
    .unwrap();
    let r = import_file(
        &mut ws,
        &page(dir.path(), "cumulative.json", "cumulative"),
        None,
    )
    .unwrap();
    // qa3app09 and web01 are the export's hosts; the three plugins its findings.
    assert_eq!(r.new, 0, "{r:?}");
    let assets: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(assets, 2);
}

#[test]
fn a_page_sc_does_not_write_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let good = std::fs::read_to_string(page(dir.path(), "cumulative.json", "cumulative")).unwrap();
    let before = common::dump(&ws);
    for (bad, said) in [
        (
            good.replacen("\"pluginID\":\"18405\"", "\"pluginID\":\"x\"", 1),
            "pluginID 'x'",
        ),
        (
            good.replacen("\"id\":\"2\"", "\"id\":\"9\"", 1),
            "severity id '9'",
        ),
        (
            good.replacen(
                "\"sourceType\":\"cumulative\"",
                "\"sourceType\":\"individual\"",
                1,
            ),
            "neither cumulative nor patched",
        ),
        (good[..good.len() / 2].to_string(), "bad.json"),
    ] {
        let path = dir.path().join("bad.json");
        std::fs::write(&path, bad).unwrap();
        let e = import_file(&mut ws, &path, Some("tenable-sc")).unwrap_err();
        assert!(e.to_string().contains(said), "{e}");
        assert_eq!(common::dump(&ws), before, "nothing kept");
    }
}
