//! Importing pages of DefectDojo's findings API (tests/corpus/scans/defectdojo/api-findings, see
//! its README): a finding per DefectDojo finding and endpoint, the product standing for the asset
//! of code and dependency findings, DefectDojo's own statuses as verdicts (mitigated closes, a
//! false positive is not affected, active again reopens), with both endpoint shapes (DefectDojo
//! 2's host and port, DefectDojo 3's location URL with a status per location). Expected values
//! are read from the JSON files.

mod common;

use truce_core::ingest::import_file;

fn page(n: u32) -> std::path::PathBuf {
    common::corpus(&format!("defectdojo/api-findings/page-{n}.json"))
}

#[test]
fn a_first_page_lands_each_finding_where_defectdojo_says_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &page(1), None).unwrap();
    assert_eq!(r.format, "defectdojo", "detected without --format");
    // 412 on one endpoint, 399 on two, 407 and 350 on their product: five findings, three assets.
    assert_eq!((r.findings, r.new), (5, 5), "{r:?}");
    let assets: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(assets, 3);
    assert_eq!(
        common::status_at(&ws, "app01.example.com", "412", "443/tcp"),
        ["open"]
    );
    assert_eq!(common::status_at(&ws, "app01", "399", "443/tcp"), ["fixed"]);
    assert_eq!(
        common::status_at(&ws, "10.20.0.15", "399", "8443/tcp"),
        ["fixed"]
    );
    assert_eq!(
        common::status_at(&ws, "defectdojo:Customer Portal", "407", "jquery@3.4.1"),
        ["open"]
    );
    assert_eq!(
        common::status_at(
            &ws,
            "defectdojo:Customer Portal",
            "350",
            "portal/settings.py:42"
        ),
        ["false_positive"]
    );
    let (scanner, severity, cves, epss, kev, cvss3, title): (String, String, String, f64, bool, f64, String) = ws
        .conn()
        .query_row(
            "SELECT v.scanner, v.severity,
                    (SELECT group_concat(cve) FROM vulnerability_cves c WHERE c.vulnerability_id = v.id),
                    v.epss, v.known_exploited, v.cvss3_score, v.title
             FROM vulnerabilities v WHERE v.scanner_id = '412'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .unwrap();
    assert_eq!(
        (
            scanner.as_str(),
            severity.as_str(),
            cves.as_str(),
            kev,
            cvss3
        ),
        ("defectdojo", "critical", "CVE-2021-44228", true, 10.0)
    );
    assert!((epss - 0.97565).abs() < 1e-9, "{epss}");
    assert_eq!(
        title,
        "Apache Log4j2 JNDI remote code execution (Log4Shell)"
    );
    // A GHSA id is not a CVE.
    let cves: String = ws
        .conn()
        .query_row(
            "SELECT group_concat(cve) FROM vulnerability_cves c
             JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = '407'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cves, "CVE-2020-11022");
    let keys: Vec<String> = ws
        .conn()
        .prepare(
            "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id =
               (SELECT asset_id FROM asset_identifiers WHERE value = 'app01.example.com')
             ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys, ["fqdn=app01.example.com", "hostname=app01"]);
}

#[test]
fn a_later_page_closes_what_was_mitigated_and_reopens_per_location() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &page(1), None).unwrap();
    let r = import_file(&mut ws, &page(2), None).unwrap();
    assert_eq!((r.findings, r.closed, r.reopened), (3, 1, 1), "{r:?}");
    // DefectDojo 3's location URLs name the same host and port as DefectDojo 2's endpoints.
    assert_eq!(
        common::status_at(&ws, "app01.example.com", "412", "443/tcp"),
        ["fixed"]
    );
    assert_eq!(
        common::status_at(&ws, "app01.example.com", "399", "443/tcp"),
        ["open"]
    );
    assert_eq!(
        common::status_at(&ws, "10.20.0.15", "399", "8443/tcp"),
        ["fixed"]
    );
    // Not in the later page: unchanged.
    assert_eq!(
        common::status_at(&ws, "defectdojo:Customer Portal", "407", "jquery@3.4.1"),
        ["open"]
    );
    let assets: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
        .unwrap();
    assert_eq!(assets, 3, "no new asset for the same host");
}

#[test]
fn a_broken_page_is_refused_whole_and_names_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &page(1), None).unwrap();
    let before = common::dump(&ws);
    let text = std::fs::read_to_string(page(2)).unwrap();
    for (bad, said) in [
        (
            text.replacen("\"id\": 412", "\"id\": \"four\"", 1),
            "page-2.json",
        ),
        (text[..text.len() / 2].to_string(), "page-2.json"),
        (
            text.replacen("\"results\": [", "\"results\": {", 1),
            "page-2.json",
        ),
    ] {
        let path = dir.path().join("page-2.json");
        std::fs::write(&path, bad).unwrap();
        let e = import_file(&mut ws, &path, Some("defectdojo")).unwrap_err();
        assert!(e.to_string().contains(said), "{e}");
        assert_eq!(common::dump(&ws), before, "nothing kept");
    }
}
