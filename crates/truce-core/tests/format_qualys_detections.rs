//! Importing Qualys VMDR Host List Detection answers (tests/corpus/scans/qualys/vmdr-api, see its
//! README): hosts named as the scan report names them (plus Qualys's host id), a finding per
//! host, QID, port and protocol, STATUS Fixed closing and Re-Opened opening again, and, in the page
//! the source hands over, the KnowledgeBase's titles and CVEs. Expected values are read from the
//! XML files.

mod common;

use truce_core::ingest::import_file;

fn file(name: &str) -> std::path::PathBuf {
    common::corpus(&format!("qualys/vmdr-api/{name}"))
}

/// What the Qualys source hands over for a page: the KnowledgeBase's answer, then the detections,
/// in a QUALYS_VMDR_PAGE (docs/formats/qualys-detections.md).
fn page(dir: &std::path::Path, detections: &str) -> std::path::PathBuf {
    let body = |name: &str| {
        let text = std::fs::read_to_string(file(name)).unwrap();
        let root = text.find(if name.starts_with("knowledge") {
            "<KNOWLEDGE_BASE_VULN_LIST_OUTPUT>"
        } else {
            "<HOST_LIST_VM_DETECTION_OUTPUT>"
        });
        text[root.unwrap()..].to_string()
    };
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<QUALYS_VMDR_PAGE>{}{}</QUALYS_VMDR_PAGE>\n",
        body("knowledge-base.xml"),
        body(detections)
    );
    let path = dir.join(format!("page-{detections}"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_detection_answer_alone_lands_hosts_statuses_and_severities() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &file("detections-1.xml"), None).unwrap();
    assert_eq!(r.format, "qualys-detections", "detected without --format");
    assert_eq!((r.findings, r.new), (3, 3), "{r:?}");
    assert_eq!(
        common::status_at(&ws, "10.10.10.28", "105943", "3389/tcp"),
        ["open"]
    );
    assert_eq!(
        common::status_at(&ws, "win2016", "38173", "443/tcp"),
        ["fixed"]
    );
    assert_eq!(
        common::status_at(&ws, "win2016.example.com", "45038", "0/tcp"),
        ["open"]
    );
    let rows: Vec<(String, String, String)> = ws
        .conn()
        .prepare("SELECT scanner_id, severity, title FROM vulnerabilities ORDER BY scanner_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // SEVERITY 4 is high, 2 low; information gathered is info. No KnowledgeBase: titled by QID.
    assert_eq!(
        rows,
        [
            ("105943".into(), "high".into(), "Qualys QID 105943".into()),
            ("38173".into(), "low".into(), "Qualys QID 38173".into()),
            ("45038".into(), "info".into(), "Qualys QID 45038".into()),
        ]
    );
    let keys: Vec<String> = ws
        .conn()
        .prepare(
            "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id =
               (SELECT asset_id FROM asset_identifiers WHERE value = '10.10.10.28')
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
            "cloud_id=qualys:5641287",
            "fqdn=win2016.example.com",
            "hostname=win2016",
            "ip=10.10.10.28",
            "netbios=win2016"
        ]
    );
}

#[test]
fn a_page_with_its_knowledge_base_entries_carries_titles_cves_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &page(dir.path(), "detections-1.xml"), None).unwrap();
    import_file(&mut ws, &page(dir.path(), "detections-2.xml"), None).unwrap();
    let (title, cves, cvss3, solution): (String, String, f64, String) = ws
        .conn()
        .query_row(
            "SELECT v.title,
                    (SELECT group_concat(cve) FROM vulnerability_cves c WHERE c.vulnerability_id = v.id),
                    v.cvss3_score, v.solution
             FROM vulnerabilities v WHERE v.scanner_id = '105943'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        title,
        "Microsoft Windows Remote Desktop Protocol (RDP) Network Level Authentication Not Enforced"
    );
    assert_eq!((cves.as_str(), cvss3), ("CVE-2019-0708", 9.8));
    assert!(solution.starts_with("Require NLA"), "{solution}");
    // A potential vulnerability of severity 5 is critical, with both of its CVEs.
    let (severity, cves): (String, String) = ws
        .conn()
        .query_row(
            "SELECT v.severity,
                    (SELECT group_concat(cve, ' ') FROM (SELECT cve FROM vulnerability_cves c
                       WHERE c.vulnerability_id = v.id ORDER BY cve))
             FROM vulnerabilities v WHERE v.scanner_id = '11827'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (severity.as_str(), cves.as_str()),
        ("critical", "CVE-2021-41773 CVE-2021-42013")
    );
    assert_eq!(
        common::status_at(&ws, "web02.example.com", "11827", "80/tcp"),
        ["open"]
    );
}

#[test]
fn a_later_answer_closes_what_qualys_fixed_and_reopens_what_it_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &file("detections-1.xml"), None).unwrap();
    let r = import_file(&mut ws, &file("detections-later.xml"), None).unwrap();
    assert_eq!((r.findings, r.closed, r.reopened), (2, 1, 1), "{r:?}");
    assert_eq!(
        common::status_at(&ws, "win2016", "105943", "3389/tcp"),
        ["fixed"]
    );
    assert_eq!(
        common::status_at(&ws, "win2016", "38173", "443/tcp"),
        ["open"]
    );
    // Not in the later answer: unchanged.
    assert_eq!(
        common::status_at(&ws, "win2016", "45038", "0/tcp"),
        ["open"]
    );
}

#[test]
fn an_answer_qualys_does_not_write_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &file("detections-1.xml"), None).unwrap();
    let before = common::dump(&ws);
    let text = std::fs::read_to_string(file("detections-later.xml")).unwrap();
    for (bad, said) in [
        (
            text.replacen("<STATUS>Fixed</STATUS>", "<STATUS>Gone</STATUS>", 1),
            "STATUS \"Gone\"",
        ),
        (
            text.replacen("<QID>38173</QID>", "<QID>x1</QID>", 1),
            "QID \"x1\"",
        ),
        (
            text.replacen("<SEVERITY>4</SEVERITY>", "<SEVERITY>9</SEVERITY>", 1),
            "SEVERITY \"9\"",
        ),
        (text[..text.len() / 2].to_string(), "detections-later.xml"),
    ] {
        let path = dir.path().join("detections-later.xml");
        std::fs::write(&path, bad).unwrap();
        let e = import_file(&mut ws, &path, Some("qualys-detections")).unwrap_err();
        assert!(e.to_string().contains(said), "{e}");
        assert_eq!(common::dump(&ws), before, "nothing kept");
    }
}
