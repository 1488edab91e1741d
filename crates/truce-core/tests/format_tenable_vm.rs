//! Importing Tenable Vulnerability Management export chunks (tests/corpus/scans/tenable/vm-export,
//! see its README): findings keyed as a .nessus file keys them (the host by its names and
//! addresses, the finding by plugin and port), FIXED closes, REOPENED opens again, and a later
//! chunk that does not mention a finding leaves it as it was (an export holds what changed).
//! Expected values are read from the JSON files.

mod common;

use truce_core::ingest::import_file;
use truce_core::Workspace;

fn status(ws: &Workspace, host: &str, plugin: &str, location: &str) -> Vec<String> {
    ws.conn()
        .prepare(
            "SELECT f.status FROM findings f
             JOIN vulnerabilities v ON v.id = f.vulnerability_id
             JOIN asset_identifiers i ON i.asset_id = f.asset_id AND i.kind = 'hostname'
             WHERE i.value = ?1 AND v.scanner_id = ?2 AND f.location = ?3",
        )
        .unwrap()
        .query_map([host, plugin, location], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn chunk(n: u32) -> std::path::PathBuf {
    common::corpus(&format!("tenable/vm-export/chunk-{n}.json"))
}

#[test]
fn a_first_export_lands_hosts_and_findings_as_a_nessus_scan_would() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &chunk(1), None).unwrap();
    assert_eq!(r.format, "tenable-vm", "detected without --format");
    // Two asset uuids; four vulnerabilities, one of them already FIXED.
    assert_eq!((r.assets, r.findings, r.new), (2, 4, 4));
    assert_eq!(status(&ws, "qa3app09", "18405", "3389/tcp"), ["open"]);
    assert_eq!(status(&ws, "qa3app09", "57608", "445/tcp"), ["open"]);
    assert_eq!(status(&ws, "qa3app09", "58453", "3389/tcp"), ["fixed"]);
    assert_eq!(status(&ws, "web01", "156103", "8080/tcp"), ["open"]);
    let (scanner, severity, cves, epss, score, cvss3): (String, String, String, f64, String, f64) = ws
        .conn()
        .query_row(
            "SELECT v.scanner, v.severity,
                    (SELECT group_concat(cve) FROM vulnerability_cves c WHERE c.vulnerability_id = v.id),
                    v.epss, v.scanner_score, v.cvss3_score
             FROM vulnerabilities v WHERE v.scanner_id = '156103'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    // epss_score 1.2 is a percentage: 0.012 as EPSS itself says it.
    assert_eq!(
        (
            scanner.as_str(),
            severity.as_str(),
            cves.as_str(),
            score.as_str(),
            cvss3
        ),
        ("nessus", "high", "CVE-2021-4104", "VPR 7.4", 7.5)
    );
    assert!((epss - 0.012).abs() < 1e-9, "{epss}");
    let keys: Vec<String> = ws
        .conn()
        .prepare(
            "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id =
               (SELECT asset_id FROM asset_identifiers WHERE value = 'web01.example.com')
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
            "cloud_id=7c9b2d44-1e0f-4f6a-b3a8-5d2c7e9f0b22",
            "fqdn=web01.example.com",
            "hostname=web01",
            "ip=10.40.0.11"
        ]
    );
}

#[test]
fn the_api_and_a_nessus_file_name_one_host_and_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let nessus = import_file(
        &mut ws,
        &common::corpus("tenable/nessus/nessus_v_unknown.xml"),
        None,
    )
    .unwrap();
    let r = import_file(&mut ws, &chunk(1), None).unwrap();
    // qa3app09 is the file's host: only web01 is new, and only its finding.
    let assets: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(assets as u32, nessus.assets + 1);
    assert_eq!(r.new, 1, "{r:?}");
    assert_eq!(status(&ws, "qa3app09", "18405", "3389/tcp"), ["open"]);
    // Open in the 2013 file, fixed by Tenable since.
    assert_eq!(status(&ws, "qa3app09", "58453", "3389/tcp"), ["fixed"]);
}

#[test]
fn a_later_export_closes_what_it_says_is_fixed_and_leaves_what_it_does_not_mention() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &chunk(1), None).unwrap();
    let r = import_file(&mut ws, &chunk(2), None).unwrap();
    assert_eq!((r.assets, r.findings), (1, 2), "{r:?}");
    assert_eq!(status(&ws, "qa3app09", "18405", "3389/tcp"), ["fixed"]);
    assert_eq!(
        status(&ws, "qa3app09", "58453", "3389/tcp"),
        ["open"],
        "reopened"
    );
    // Not in the later export: unchanged since, so still open (a rescan of the host would
    // have closed it).
    assert_eq!(status(&ws, "qa3app09", "57608", "445/tcp"), ["open"]);
    assert_eq!(status(&ws, "web01", "156103", "8080/tcp"), ["open"]);
}

#[test]
fn a_chunk_with_an_unknown_state_or_no_asset_uuid_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let before = common::dump(&ws);
    let text = std::fs::read_to_string(chunk(2)).unwrap();
    for (bad, said) in [
        (
            text.replacen("\"REOPENED\"", "\"MAYBE\"", 1),
            "state 'MAYBE'",
        ),
        (
            text.replacen("\"0f2e6c3a-8a61-4c55-9d0b-2f1f5f0a9e11\"", "\"\"", 1),
            "no uuid",
        ),
        (text[..text.len() / 2].to_string(), "chunk-2"),
    ] {
        let path = dir.path().join("chunk-2.json");
        std::fs::write(&path, bad).unwrap();
        let e = import_file(&mut ws, &path, Some("tenable-vm")).unwrap_err();
        assert!(e.to_string().contains(said), "{e}");
        assert_eq!(common::dump(&ws), before, "nothing kept");
    }
}
