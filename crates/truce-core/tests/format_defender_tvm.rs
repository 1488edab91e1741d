//! Importing pages of Defender Vulnerability Management's export API
//! (tests/corpus/scans/ms_defender/tvm-api, see its README): the device by its id and name, a
//! finding per CVE and "software@version" as the machinesVulnerabilities export keys it, the
//! delta's Fixed closing and New adding. Expected values are read from the JSON files.

mod common;

use truce_core::ingest::import_file;

/// A vulnerability row: CVE, severity, CVSS v3, exploit available, solution.
type Vulnerability = (String, String, Option<f64>, bool, Option<String>);

fn file(name: &str) -> std::path::PathBuf {
    common::corpus(&format!("ms_defender/tvm-api/{name}"))
}

#[test]
fn export_pages_land_devices_and_their_software_vulnerabilities() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &file("export-page-1.json"), None).unwrap();
    assert_eq!(r.format, "defender-tvm", "detected without --format");
    assert_eq!((r.findings, r.new), (2, 2), "{r:?}");
    import_file(&mut ws, &file("export-page-2.json"), None).unwrap();
    let host = "mymachine1.contoso.com";
    assert_eq!(
        common::status_at(&ws, host, "CVE-2024-0519", "edge@120.0.2210.91"),
        ["open"]
    );
    assert_eq!(
        common::status_at(
            &ws,
            "1e5bc9d7e413ddd7902c2932e418702b84d0cc07",
            "CVE-2024-21338",
            "windows_10@10.0.19045.3930"
        ),
        ["open"]
    );
    assert_eq!(
        common::status_at(
            &ws,
            "mac-laptop-7",
            "CVE-2023-6345",
            "chrome@119.0.6045.199"
        ),
        ["open"]
    );
    let rows: Vec<Vulnerability> = ws
        .conn()
        .prepare("SELECT scanner_id, severity, cvss3_score, exploit_available, solution FROM vulnerabilities ORDER BY scanner_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            (
                "CVE-2023-6345".into(),
                "critical".into(),
                Some(9.6),
                true,
                Some("Update Chrome to version 119.0.6045.199 or later".into())
            ),
            (
                "CVE-2024-0519".into(),
                "high".into(),
                Some(8.8),
                true,
                Some("Update Microsoft Edge to version 120.0.2210.133".into())
            ),
            // cvssScore written as text is read as the number.
            (
                "CVE-2024-21338".into(),
                "critical".into(),
                Some(7.8),
                true,
                Some("February 2024 Security Updates (5034763)".into())
            ),
        ]
    );
    let os: String = ws
        .conn()
        .query_row(
            "SELECT a.os FROM assets a JOIN asset_identifiers i ON i.asset_id = a.id WHERE i.value = 'mac-laptop-7'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(os, "macOs 14.1");
}

#[test]
fn changes_close_what_defender_says_is_fixed_and_add_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &file("export-page-1.json"), None).unwrap();
    import_file(&mut ws, &file("export-page-2.json"), None).unwrap();
    let r = import_file(&mut ws, &file("changes.json"), None).unwrap();
    assert_eq!((r.findings, r.closed, r.new), (2, 1, 1), "{r:?}");
    let host = "mymachine1.contoso.com";
    assert_eq!(
        common::status_at(&ws, host, "CVE-2024-0519", "edge@120.0.2210.91"),
        ["fixed"]
    );
    assert_eq!(
        common::status_at(&ws, host, "CVE-2024-30078", "windows_10@10.0.19045.3930"),
        ["open"]
    );
    // Not in the changes: unchanged.
    assert_eq!(
        common::status_at(&ws, host, "CVE-2024-21338", "windows_10@10.0.19045.3930"),
        ["open"]
    );
    assert_eq!(
        common::status_at(
            &ws,
            "mac-laptop-7",
            "CVE-2023-6345",
            "chrome@119.0.6045.199"
        ),
        ["open"]
    );
}

#[test]
fn a_page_defender_does_not_write_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &file("export-page-1.json"), None).unwrap();
    let before = common::dump(&ws);
    let text = std::fs::read_to_string(file("changes.json")).unwrap();
    for (bad, said) in [
        (
            text.replacen("\"status\": \"Fixed\"", "\"status\": \"Gone\"", 1),
            "status 'Gone'",
        ),
        (
            text.replacen("\"cveId\": \"CVE-2024-0519\"", "\"cveId\": \"\"", 1),
            "without its cveId",
        ),
        (text[..text.len() / 2].to_string(), "changes.json"),
    ] {
        let path = dir.path().join("changes.json");
        std::fs::write(&path, bad).unwrap();
        let e = import_file(&mut ws, &path, Some("defender-tvm")).unwrap_err();
        assert!(e.to_string().contains(said), "{e}");
        assert_eq!(common::dump(&ws), before, "nothing kept");
    }
}
