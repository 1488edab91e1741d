//! Importing Qualys XML scan reports (ASSET_DATA_REPORT). Every expected number was read
//! from the files themselves by tests/derive_expectations.py (Python's xml.etree, no code
//! shared with the importer): one finding per (HOST, QID, PORT or 0, PROTOCOL or tcp),
//! severity from the GLOSSARY's SEVERITY 1-5 (5 critical ... 1 info), TYPE Ig always info.

mod common;

use common::text_opt as text;

use common::sev;

use std::path::Path;

use truce_core::ingest::{formats, import_file};
use truce_core::Workspace;

fn sample(ws: &mut Workspace) -> truce_core::model::ImportReport {
    let r = import_file(ws, &common::corpus("qualys/Qualys_Sample_Report.xml"), None).unwrap();
    assert_eq!(r.format, "qualys");
    r
}

#[test]
fn the_sample_report_has_seven_hosts_and_301_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = sample(&mut ws);
    // 7 HOSTs with distinct DNS names; 301 VULN_INFO, no two with the same
    // (host, QID, port, protocol).
    assert_eq!((r.assets, r.findings, r.new), (7, 301, 301));
    // TYPE: 209 Ig (all info), 90 Vuln, 2 Practice. Vuln levels 1:8 2:39 3:32 4:4 5:7,
    // Practice level 4 twice: info 209+8, low 39, medium 32, high 4+2, critical 7.
    assert_eq!(r.by_severity, sev(7, 6, 32, 39, 217));
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 7);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM findings"), 301);
    // 92 distinct QIDs among the VULN_INFOs (the glossary has 93: 375397 is unused).
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE scanner = 'qualys'"
        ),
        92
    );
    // 51 distinct CVE_ID/ID values in the glossary entries of those 92 QIDs.
    assert_eq!(
        common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
        51
    );
    // 11 of those glossary entries have CORRELATION/EXPLOITABILITY.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE exploit_available"
        ),
        11
    );
    // Information gathered at levels 2 and 3 (26 + 14 VULN_INFOs) is still info.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings_with_evidence f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_score IN ('2', '3') AND f.severity = 'info'"
        ),
        40
    );
}

#[test]
fn glossary_details_reach_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    sample(&mut ws);
    // QID 370876, TYPE Practice on 64.41.200.246 and .249, SEVERITY 4, CVSS_BASE
    // "9.3 (AV:N/AC:M/Au:N/C:C/I:C/A:C)", CVSS3_BASE "9.0 (...)", 7 CVE_IDs.
    let (title, severity, level, cvss2, vector, cvss3): (String, String, String, f64, String, f64) = ws
        .conn()
        .query_row(
            "SELECT title, severity, scanner_score, cvss2_score, cvss2_vector, cvss3_score FROM vulnerabilities WHERE scanner_id = '370876'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(
        title,
        "AMD Processors Multiple Security Vulnerabilities (RYZENFALL/MASTERKEY/CHIMERA-FW/FALLOUT)"
    );
    assert_eq!((severity.as_str(), level.as_str()), ("high", "4"));
    assert_eq!((cvss2, cvss3), (9.3, 9.0));
    assert_eq!(vector, "AV:N/AC:M/Au:N/C:C/I:C/A:C");
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerability_cves c JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = '370876'"
        ),
        7
    );
    // QID 91345 (MS17-010), SEVERITY 5, no PORT: host-level on 64.41.200.246 and .249.
    let locs: Vec<(String, String)> = ws
        .conn()
        .prepare("SELECT f.location, f.severity FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '91345'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        locs,
        [
            ("0/tcp".to_string(), "critical".to_string()),
            ("0/tcp".to_string(), "critical".to_string())
        ]
    );
    // QID 38293 "NTP Information Disclosure Vulnerability", level 2, PORT 123 PROTOCOL udp
    // on three hosts; its RESULT is the evidence.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings_with_evidence f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id = '38293' AND f.location = '123/udp' AND f.severity = 'low' AND f.evidence LIKE '%stratum=%'"
        ),
        3
    );
    // QID 6 "DNS Host Name" (Ig) on all 7 hosts.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings_with_evidence f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '6' AND f.severity = 'info'"
        ),
        7
    );
}

#[test]
fn hosts_are_named_by_dns_netbios_and_ip() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    sample(&mut ws);
    // HOST IP 64.41.200.247, DNS trn-win7.trn.qualys.com, NETBIOS TRN-WIN7,
    // OPERATING_SYSTEM "Windows 2008 R2/7", 42 VULN_INFOs, latest LAST_FOUND 2019-07-31T21:58:08Z.
    let asset =
        "(SELECT asset_id FROM asset_identifiers WHERE kind = 'ip' AND value = '64.41.200.247')";
    let ids: Vec<String> = ws
        .conn()
        .prepare(&format!(
            "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id = {asset} ORDER BY 1"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        ids,
        [
            "fqdn=trn-win7.trn.qualys.com",
            "hostname=trn-win7",
            "ip=64.41.200.247",
            "netbios=trn-win7"
        ]
    );
    let (name, os): (String, String) = ws
        .conn()
        .query_row(
            &format!("SELECT name, os FROM assets WHERE id = {asset}"),
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (name.as_str(), os.as_str()),
        ("trn-win7.trn.qualys.com", "Windows 2008 R2/7")
    );
    assert_eq!(
        common::scalar(
            &ws,
            &format!("SELECT count(*) FROM findings WHERE asset_id = {asset}")
        ),
        42
    );
    assert_eq!(
        text(
            &ws,
            &format!("SELECT min(first_seen) FROM findings WHERE asset_id = {asset}")
        )
        .as_deref(),
        Some("2019-07-31T21:58:08.000Z")
    );
}

#[test]
fn a_report_without_hosts_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // empty.xml: HEADER and APPENDICES only, TOTAL_VULNERABILITIES 0.
    let r = import_file(&mut ws, &common::corpus("qualys/empty.xml"), None).unwrap();
    assert_eq!(r.format, "qualys");
    assert_eq!((r.assets, r.findings, r.new), (0, 0, 0));
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM imports"), 1);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM findings"), 0);
}

#[test]
fn the_same_report_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    sample(&mut ws);
    let before = common::dump(&ws);
    let again = sample(&mut ws);
    assert_eq!((again.new, again.unchanged, again.closed), (0, 301, 0));
    assert_eq!(common::dump(&ws), before);
}

const SMALL_HOST: &str = r#"<HOST_LIST><HOST><IP>10.0.0.5</IP><DNS><![CDATA[db1.example.org]]></DNS>
<VULN_INFO_LIST>
<VULN_INFO><QID id="qid_1">1</QID><TYPE>Vuln</TYPE><PORT>5432</PORT><PROTOCOL>tcp</PROTOCOL><RESULT>a &amp; b</RESULT><LAST_FOUND>2024-01-02T03:04:05Z</LAST_FOUND></VULN_INFO>
<VULN_INFO><QID id="qid_2">2</QID><TYPE>Ig</TYPE><LAST_FOUND>2024-01-02T03:04:05Z</LAST_FOUND></VULN_INFO>
<VULN_INFO><QID id="qid_3">3</QID><TYPE>Vuln</TYPE><VULN_STATUS>Fixed</VULN_STATUS></VULN_INFO>
<VULN_INFO><QID id="qid_4">4</QID><TYPE>Vuln</TYPE></VULN_INFO>
</VULN_INFO_LIST></HOST></HOST_LIST>"#;

const SMALL_GLOSSARY: &str = r#"<GLOSSARY><VULN_DETAILS_LIST>
<VULN_DETAILS id="qid_1"><QID id="qid_1">1</QID><TITLE>Weak thing</TITLE><SEVERITY>5</SEVERITY>
<CVE_ID_LIST><CVE_ID><ID>CVE-2024-0001</ID><URL>x</URL></CVE_ID></CVE_ID_LIST></VULN_DETAILS>
<VULN_DETAILS id="qid_2"><QID id="qid_2">2</QID><TITLE>Info</TITLE><SEVERITY>3</SEVERITY></VULN_DETAILS>
<VULN_DETAILS id="qid_3"><QID id="qid_3">3</QID><TITLE>Gone</TITLE><SEVERITY>4</SEVERITY></VULN_DETAILS>
</VULN_DETAILS_LIST></GLOSSARY>"#;

#[test]
fn the_glossary_may_come_before_or_after_the_hosts() {
    for doc in [
        format!("<ASSET_DATA_REPORT>{SMALL_HOST}{SMALL_GLOSSARY}</ASSET_DATA_REPORT>"),
        format!("<ASSET_DATA_REPORT>{SMALL_GLOSSARY}{SMALL_HOST}</ASSET_DATA_REPORT>"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = common::fresh(dir.path());
        let path = dir.path().join("small.xml");
        std::fs::write(&path, &doc).unwrap();
        let r = import_file(&mut ws, &path, None).unwrap();
        assert_eq!(r.format, "qualys");
        // QID 3 is Fixed: skipped. QID 4 has no glossary entry: unknown severity, stored as info.
        assert_eq!((r.assets, r.findings), (1, 3));
        assert_eq!(r.by_severity, sev(1, 0, 0, 0, 2));
        let rows: Vec<(String, String, String)> = ws
            .conn()
            .prepare("SELECT v.scanner_id, v.title, f.location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id ORDER BY 1")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let want = [
            ("1", "Weak thing", "5432/tcp"),
            ("2", "Info", "0/tcp"),
            ("4", "Qualys QID 4", "0/tcp"),
        ];
        assert_eq!(
            rows,
            want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        );
        assert_eq!(
            text(
                &ws,
                "SELECT evidence FROM findings_with_evidence WHERE location = '5432/tcp'"
            )
            .as_deref(),
            Some("a & b")
        );
        assert_eq!(
            text(&ws, "SELECT cve FROM vulnerability_cves").as_deref(),
            Some("CVE-2024-0001")
        );
    }
}

// ------------------------------------------------------------------------- detection

fn head(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    bytes[..bytes.len().min(64 * 1024)].to_vec()
}

fn corpus_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            corpus_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn the_sniff_claims_qualys_scan_reports_and_nothing_else() {
    let qualys = formats().iter().find(|f| f.name() == "qualys").unwrap();
    let root = common::corpus("");
    let mut files = Vec::new();
    corpus_files(&root, &mut files);
    let mut claimed: Vec<String> = files
        .iter()
        .filter(|f| qualys.sniff(&head(f)))
        .map(|f| {
            f.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    claimed.sort();
    // Not Qualys WAS (WAS_SCAN_REPORT), the infrastructure scan (SCAN), the CSVs, .nessus ...
    assert_eq!(
        claimed,
        ["qualys/Qualys_Sample_Report.xml", "qualys/empty.xml"]
    );
    // And no other format claims these two.
    for c in &claimed {
        let others: Vec<&str> = formats()
            .iter()
            .filter(|f| f.name() != "qualys" && f.sniff(&head(&root.join(c))))
            .map(|f| f.name())
            .collect();
        assert!(others.is_empty(), "{c} also claimed by {others:?}");
    }
}

// ------------------------------------------------------------------------- bad input

/// A clear error naming the file and the byte position, and the workspace as it was.
/// `problem` lists accepted wordings separated by " | ".
fn refused(name: &str, bytes: &[u8], format: Option<&str>, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &common::corpus("qualys/empty.xml"), None).unwrap();
    let path = dir.path().join("first.xml");
    let first = format!("<ASSET_DATA_REPORT>{SMALL_HOST}{SMALL_GLOSSARY}</ASSET_DATA_REPORT>");
    std::fs::write(&path, first).unwrap();
    import_file(&mut ws, &path, None).unwrap();
    common::assert_refused(ws, name, bytes, format, "byte ", problem);
}

fn real() -> Vec<u8> {
    std::fs::read(common::corpus("qualys/Qualys_Sample_Report.xml")).unwrap()
}

#[test]
fn a_truncated_report_is_refused() {
    let bytes = real();
    let root_end = bytes
        .windows(20)
        .position(|w| w == b"</ASSET_DATA_REPORT>")
        .unwrap();
    // Cut in the HOST_LIST (before the glossary) and in the glossary. A cut inside CDATA
    // is reported by the XML reader itself ("... not found before end of input").
    for (name, end) in [
        ("cut.xml", bytes.len() / 3),
        ("cut2.xml", bytes.len() * 9 / 10),
        // Everything but the closing tag (and the comment Qualys writes after it).
        ("cut3.xml", root_end),
    ] {
        refused(name, &bytes[..end], None, "truncated | before end of input");
    }
}

#[test]
fn entity_declarations_are_refused() {
    let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE ASSET_DATA_REPORT [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<ASSET_DATA_REPORT><HOST_LIST><HOST><IP>10.0.0.1</IP><VULN_INFO_LIST>
<VULN_INFO><QID>1</QID><TYPE>Vuln</TYPE><RESULT>&xxe;</RESULT></VULN_INFO>
</VULN_INFO_LIST></HOST></HOST_LIST></ASSET_DATA_REPORT>"#;
    refused("xxe.xml", xxe, None, "entities");
    let mut bomb = format!(
        "<?xml version=\"1.0\"?>\n{}",
        common::entity_bomb_dtd("ASSET_DATA_REPORT")
    );
    bomb.push_str(
        "<ASSET_DATA_REPORT><HOST_LIST><HOST><IP>&a9;</IP></HOST></HOST_LIST></ASSET_DATA_REPORT>",
    );
    refused("bomb.xml", bomb.as_bytes(), None, "entities");
    // An undeclared entity is refused too, not expanded to nothing.
    let nbsp = b"<ASSET_DATA_REPORT><HOST_LIST><HOST><IP>10.0.0.1&nbsp;</IP></HOST></HOST_LIST></ASSET_DATA_REPORT>";
    refused("nbsp.xml", nbsp, None, "undefined entity");
}

#[test]
fn bad_values_are_refused() {
    let sev9 = format!(
        "<ASSET_DATA_REPORT>{SMALL_HOST}{}</ASSET_DATA_REPORT>",
        SMALL_GLOSSARY.replace("<SEVERITY>5</SEVERITY>", "<SEVERITY>9</SEVERITY>")
    );
    refused(
        "sev.xml",
        sev9.as_bytes(),
        None,
        "SEVERITY \"9\" is not 1..5",
    );
    let port = format!(
        "<ASSET_DATA_REPORT>{}{SMALL_GLOSSARY}</ASSET_DATA_REPORT>",
        SMALL_HOST.replace("<PORT>5432</PORT>", "<PORT>http</PORT>")
    );
    refused("port.xml", port.as_bytes(), None, "PORT \"http\"");
    let qid = format!(
        "<ASSET_DATA_REPORT>{}{SMALL_GLOSSARY}</ASSET_DATA_REPORT>",
        SMALL_HOST.replace("<QID id=\"qid_2\">2</QID>", "")
    );
    refused("qid.xml", qid.as_bytes(), None, "QID");
    let nohost = b"<ASSET_DATA_REPORT><HOST_LIST><HOST><OPERATING_SYSTEM>x</OPERATING_SYSTEM></HOST></HOST_LIST></ASSET_DATA_REPORT>";
    refused("nohost.xml", nohost, None, "without IP, DNS or NETBIOS");
    let mut latin = real();
    let at = latin.windows(7).position(|w| w == b"<TITLE>").unwrap() + 7;
    latin[at] = 0xFF;
    refused("latin.xml", &latin, None, "invalid UTF-8");
    // Another XML root with the format forced.
    refused(
        "scan.xml",
        b"<SCAN value=\"x\"><HEADER/></SCAN>",
        Some("qualys"),
        "expected <ASSET_DATA_REPORT>",
    );
}

// ------------------------------------------------------------------------- Qualys CSV

/// (file, assets, findings, by severity, distinct CVEs), from derive_expectations.py.
#[test]
fn qualys_csv_reports_import_with_the_counts_read_from_the_file() {
    let cases = [
        // 6 rows, all TYPE Vuln, Severity 5, no Port: QID 105971 on 4 hosts, 105970 and
        // 91762 on 10.98.57.180. Three hosts share NetBIOS EC2AMAZ-N4OQ6HS but each has
        // its own DNS name (an FQDN): 4 assets. 91762's "CVE ID" cell lists 23 CVEs.
        (
            "qualys/Qualys_Sample_Report.csv",
            4,
            6,
            sev(6, 0, 0, 0, 0),
            23,
        ),
        // The header and two empty lines.
        ("qualys/empty.csv", 0, 0, sev(0, 0, 0, 0, 0), 0),
        // PCI report, one row: QID 86476 TYPE POTENTIAL, SEVERITY "Medium" (PCI word),
        // Q_SEVERITY 3 -> medium.
        (
            "qualys/monthly_pci_issue6932.csv",
            1,
            1,
            sev(0, 0, 1, 0, 0),
            0,
        ),
    ];
    for (rel, assets, findings, by_severity, cves) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = common::fresh(dir.path());
        let r = import_file(&mut ws, &common::corpus(rel), None).unwrap();
        assert_eq!(r.format, "qualys-csv", "{rel}");
        assert_eq!(
            (r.assets, r.findings, r.new),
            (assets, findings, findings),
            "{rel}"
        );
        assert_eq!(r.by_severity, by_severity, "{rel}");
        assert_eq!(
            common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
            cves,
            "{rel}"
        );
        assert_eq!(
            common::scalar(
                &ws,
                "SELECT count(*) FROM vulnerabilities WHERE scanner <> 'qualys'"
            ),
            0
        );
    }
}

#[test]
fn qualys_csv_values_reach_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(
        &mut ws,
        &common::corpus("qualys/Qualys_Sample_Report.csv"),
        None,
    )
    .unwrap();
    // QID 91762 "Microsoft Windows Security Update for May 2021", CVSS3 Base
    // "9.9 (AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H)", on 10.98.57.180 with no Port.
    let (title, cvss3, vector, loc): (String, f64, String, String) = ws
        .conn()
        .query_row(
            "SELECT v.title, v.cvss3_score, v.cvss3_vector, f.location FROM vulnerabilities v JOIN findings f ON f.vulnerability_id = v.id WHERE v.scanner_id = '91762'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(title, "Microsoft Windows Security Update for May 2021");
    assert_eq!(
        (cvss3, vector.as_str()),
        (9.9, "AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H")
    );
    assert_eq!(loc, "0/tcp");
    let ids: Vec<String> = ws
        .conn()
        .prepare("SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id = (SELECT asset_id FROM asset_identifiers WHERE value = '10.98.57.180') ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        ids,
        [
            "fqdn=ip-10-98-57-180.eu-west-1.compute.internal",
            "hostname=ip-10-98-57-180",
            "ip=10.98.57.180",
            "netbios=ec2amaz-iu0c43l"
        ]
    );

    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(
        &mut ws,
        &common::corpus("qualys/monthly_pci_issue6932.csv"),
        None,
    )
    .unwrap();
    // IP 192.168.0.1, HOSTNAME abv.xyw.com.fj, PORT 80 PROTOCOL tcp, CVSS_BASE 6.4.
    let (loc, cvss2, level): (String, f64, String) = ws
        .conn()
        .query_row(
            "SELECT f.location, v.cvss2_score, v.scanner_score FROM vulnerabilities v JOIN findings f ON f.vulnerability_id = v.id WHERE v.scanner_id = '86476'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((loc.as_str(), cvss2, level.as_str()), ("80/tcp", 6.4, "3"));
    assert_eq!(
        text(&ws, "SELECT name FROM assets").as_deref(),
        Some("abv.xyw.com.fj")
    );
}

#[test]
fn the_csv_sniff_claims_qualys_csv_reports_and_nothing_else() {
    let csv = formats().iter().find(|f| f.name() == "qualys-csv").unwrap();
    let root = common::corpus("");
    let mut files = Vec::new();
    corpus_files(&root, &mut files);
    let mut claimed: Vec<String> = files
        .iter()
        .filter(|f| csv.sniff(&head(f)))
        .map(|f| {
            f.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    claimed.sort();
    // Not qualys_vmdr (a report preamble, "Asset IPV4"), Tenable or OpenVAS CSVs.
    assert_eq!(
        claimed,
        [
            "qualys/Qualys_Sample_Report.csv",
            "qualys/empty.csv",
            "qualys/monthly_pci_issue6932.csv"
        ]
    );
    for c in &claimed {
        let others: Vec<&str> = formats()
            .iter()
            .filter(|f| f.name() != "qualys-csv" && f.sniff(&head(&root.join(c))))
            .map(|f| f.name())
            .collect();
        assert!(others.is_empty(), "{c} also claimed by {others:?}");
    }
}

#[test]
fn bad_qualys_csv_is_refused_with_its_line() {
    let good =
        "IP,DNS,QID,Title,Type,Severity,Port,Protocol\n10.0.0.1,a.example.org,1,t,Vuln,3,80,tcp\n";
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let path = dir.path().join("good.csv");
    std::fs::write(&path, good).unwrap();
    import_file(&mut ws, &path, None).unwrap();
    let before = common::dump(&ws);
    for (name, doc, format, want) in [
        (
            "level.csv",
            format!("{good}10.0.0.1,a.example.org,2,t,Vuln,High,80,tcp\n"),
            None,
            "line 3: severity \"High\" is not a Qualys level 1..5",
        ),
        (
            "type.csv",
            format!("{good}10.0.0.1,a.example.org,2,t,Bogus,2,80,tcp\n"),
            None,
            "line 3: type \"Bogus\"",
        ),
        (
            "cut.csv",
            format!("{good}10.0.0.1,a.example.org,2,\"t"),
            None,
            "truncated",
        ),
        (
            "noqid.csv",
            good.replacen("QID", "Q", 1),
            Some("qualys-csv"),
            "line 1: the header has no QID column",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &doc).unwrap();
        let msg = import_file(&mut ws, &path, format)
            .err()
            .unwrap_or_else(|| panic!("{name} accepted"))
            .to_string();
        assert!(msg.contains(name) && msg.contains(want), "{name}: {msg}");
        assert_eq!(common::dump(&ws), before, "{name}");
    }
}

// ------------------------------------------------------------------------- Qualys VMDR

/// (file, assets, findings, by severity, distinct CVEs), from derive_expectations.py.
/// These samples are fabricated by their authors; the numbers are what they say.
#[test]
fn qualys_vmdr_exports_import_with_the_counts_read_from_the_file() {
    let cases = [
        // 5 rows after a 3-line preamble; QID 800003 is Status FIXED: 4 rows on 4 hosts,
        // Type Detected Confirmed, Severity 1, 2, 4, 5; one CVE per row.
        (
            "qualys_vmdr/many_vulns_cve.csv",
            4,
            4,
            sev(1, 1, 0, 1, 1),
            4,
        ),
        // The same shape in the QID layout (no CVE column); 100003 is FIXED.
        (
            "qualys_vmdr/many_vulns_qid.csv",
            4,
            4,
            sev(1, 1, 0, 1, 1),
            0,
        ),
        // Header only, with and without the preamble.
        ("qualys_vmdr/no_vuln_cve.csv", 0, 0, sev(0, 0, 0, 0, 0), 0),
        (
            "qualys_vmdr/no_vuln_no_metadata_cve.csv",
            0,
            0,
            sev(0, 0, 0, 0, 0),
            0,
        ),
        ("qualys_vmdr/no_vuln_qid.csv", 0, 0, sev(0, 0, 0, 0, 0), 0),
        // QID 730143 (CVE-2021-44228), Severity 5, on JAVAAPP01 8080/TCP.
        ("qualys_vmdr/one_vuln_cve.csv", 1, 1, sev(1, 0, 0, 0, 0), 1),
        (
            "qualys_vmdr/one_vuln_no_metadata_cve.csv",
            1,
            1,
            sev(1, 0, 0, 0, 0),
            1,
        ),
        // QID 100269, Severity 5, Protocol "'-" Port 0: host-level, 0/tcp.
        ("qualys_vmdr/one_vuln_qid.csv", 1, 1, sev(1, 0, 0, 0, 0), 0),
    ];
    for (rel, assets, findings, by_severity, cves) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = common::fresh(dir.path());
        let r = import_file(&mut ws, &common::corpus(rel), None).unwrap();
        assert_eq!(r.format, "qualys-vmdr", "{rel}");
        assert_eq!(
            (r.assets, r.findings, r.new),
            (assets, findings, findings),
            "{rel}"
        );
        assert_eq!(r.by_severity, by_severity, "{rel}");
        assert_eq!(
            common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
            cves,
            "{rel}"
        );
    }
}

#[test]
fn qualys_vmdr_values_reach_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(
        &mut ws,
        &common::corpus("qualys_vmdr/many_vulns_cve.csv"),
        None,
    )
    .unwrap();
    // QID 800004 on WORKSTATION01, Asset IPV4 "192.168.1.100,192.168.1.101", Protocol "'-",
    // Port 0, CVE-2023-0004, CVSSv3.1 Base (nvd) 7.8, Operating System "Windows 10".
    let asset = "(SELECT asset_id FROM asset_identifiers WHERE kind = 'hostname' AND value = 'workstation01')";
    let ids: Vec<String> = ws
        .conn()
        .prepare(&format!(
            "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id = {asset} ORDER BY 1"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        ids,
        [
            "hostname=workstation01",
            "ip=192.168.1.100",
            "ip=192.168.1.101"
        ]
    );
    let (loc, cvss3, cve, os): (String, f64, String, String) = ws
        .conn()
        .query_row(
            &format!(
                "SELECT f.location, v.cvss3_score, c.cve, a.os FROM findings f
                 JOIN vulnerabilities v ON v.id = f.vulnerability_id
                 JOIN vulnerability_cves c ON c.vulnerability_id = v.id
                 JOIN assets a ON a.id = f.asset_id WHERE f.asset_id = {asset}"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (loc.as_str(), cvss3, cve.as_str(), os.as_str()),
        ("0/tcp", 7.8, "CVE-2023-0004", "Windows 10")
    );
    // The FIXED row (QID 800003 on DBSERVER01) is not imported.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE scanner_id = '800003'"
        ),
        0
    );
    // APPSERVER01 has only IPv6 2001:db8::100.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM asset_identifiers WHERE kind = 'ip' AND value = '2001:db8::100'"
        ),
        1
    );
}

#[test]
fn qualys_vmdr_rows_per_cve_are_one_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let doc = "\"Asset Vuln Datalist Report\",\"x\",\"1\"\n\
               \"CVE\",\"QID\",\"Title\",\"Severity\",\"Type Detected\",\"Protocol\",\"Port\",\"Status\",\"Asset Name\",\"Asset IPV4\"\n\
               \"CVE-2024-0001\",\"1\",\"t\",\"4\",\"Confirmed\",\"TCP\",\"22\",\"ACTIVE\",\"H1\",\"10.0.0.1\"\n\
               \"CVE-2024-0002\",\"1\",\"t\",\"4\",\"Confirmed\",\"TCP\",\"22\",\"ACTIVE\",\"H1\",\"10.0.0.1\"\n\
               \"CVE-2024-0003\",\"2\",\"u\",\"2\",\"Info\",\"TCP\",\"22\",\"NEW\",\"H1\",\"10.0.0.1\"\n";
    let path = dir.path().join("vmdr.csv");
    std::fs::write(&path, doc).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!(r.format, "qualys-vmdr");
    assert_eq!((r.assets, r.findings), (1, 2));
    // Type Detected Info is info whatever its level.
    assert_eq!(r.by_severity, sev(0, 1, 0, 0, 1));
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves c JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = '1'"),
        2
    );
    // Without a header in the first lines the file is refused, naming the line.
    let path = dir.path().join("nohead.csv");
    std::fs::write(&path, "\"Asset Vuln Datalist Report\",\"x\",\"1\"\n").unwrap();
    let msg = import_file(&mut ws, &path, Some("qualys-vmdr"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("nohead.csv") && msg.contains("line ") && msg.contains("header"),
        "{msg}"
    );
}

#[test]
fn the_vmdr_sniff_claims_vmdr_exports_and_nothing_else() {
    let vmdr = formats()
        .iter()
        .find(|f| f.name() == "qualys-vmdr")
        .unwrap();
    let root = common::corpus("");
    let mut files = Vec::new();
    corpus_files(&root, &mut files);
    let mut claimed: Vec<String> = files
        .iter()
        .filter(|f| vmdr.sniff(&head(f)))
        .map(|f| {
            f.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    claimed.sort();
    let mut want: Vec<String> = std::fs::read_dir(root.join("qualys_vmdr"))
        .unwrap()
        .map(|e| format!("qualys_vmdr/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    want.sort();
    assert_eq!(claimed, want);
    for c in &claimed {
        let others: Vec<&str> = formats()
            .iter()
            .filter(|f| f.name() != "qualys-vmdr" && f.sniff(&head(&root.join(c))))
            .map(|f| f.name())
            .collect();
        assert!(others.is_empty(), "{c} also claimed by {others:?}");
    }
}

#[test]
fn solutions_written_in_html_are_stored_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    sample(&mut ws);
    // 33 of the file's SOLUTIONs carry tags (<A HREF>, <P>, <BR>, <B>); none may reach a screen.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE solution LIKE '%<A HREF%' OR solution LIKE '%<P>%'
               OR solution LIKE '%<BR>%' OR solution LIKE '%&quot;%' OR description LIKE '%<P>%'"
        ),
        0
    );
    // QID 11803, as the file writes it: a link, a paragraph, a break, and the link again.
    let solution = text(
        &ws,
        "SELECT solution FROM vulnerabilities WHERE scanner = 'qualys' AND scanner_id = '11803'",
    )
    .unwrap();
    assert_eq!(
        solution,
        "Refer to libxml2 repository [libxml2][1] to obtain further details.\n\nPatch:\n\
         Following are links for downloading patches to fix the vulnerabilities:\n\n[libxml2][2]\n\n\
         [1]: http://xmlsoft.org/downloads.html\n[2]: http://xmlsoft.org/downloads.html"
    );
}
