//! Importing OpenVAS / Greenbone XML reports (scans/openvas/*.xml).
//!
//! Expected numbers were read from the files themselves with Python's xml.etree, not from
//! Truce: every `results/result`, skipping threat False Positive / Debug / Error and negative
//! severities, severity from the numeric `<severity>` (9+ critical, 7+ high, 4+ medium,
//! above 0 low, else info; `<threat>` when there is no number), merged on (host text,
//! nvt@oid, port, "general/tcp" when empty) keeping the first; assets = distinct result
//! hosts plus report-level `host/ip`; CVEs = distinct `ref[@type="cve"]@id`.
//! tests/scripts/derive_xml_expectations.py prints them.

mod common;

use common::text;

use common::sev;

use std::path::Path;

use truce_core::ingest::import_file;
use truce_core::Workspace;

fn real(f: f64) -> impl Fn(&Workspace, &str) {
    move |ws: &Workspace, sql: &str| {
        let v: f64 = ws.conn().query_row(sql, [], |r| r.get(0)).unwrap();
        assert_eq!(v, f, "{sql}");
    }
}

fn identifiers(ws: &Workspace) -> Vec<String> {
    ws.conn()
        .prepare("SELECT kind || '=' || value FROM asset_identifiers ORDER BY kind, value")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn many_vuln_has_one_host_and_44_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &common::corpus("openvas/many_vuln.xml"), None).unwrap();
    assert_eq!(r.format, "openvas");
    // 44 results, all on host 192.168.1.1001, 44 distinct (host, oid, port) keys.
    assert_eq!((r.assets, r.findings, r.new), (1, 44, 44));
    // Severities: 10.0 x5, 9.3, 9.0 x2 -> 8 critical; 8.1 x2, 7.5 x8, 7.4 -> 11 high;
    // 4.0 .. 6.8 -> 25 medium (two of them have an empty <threat> and severity 4.0).
    assert_eq!(r.by_severity, sev(8, 11, 25, 0, 0));
    // 40 distinct NVT OIDs: 809883, 108718, 103185 and 108528 are each on two ports.
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerabilities"),
        40
    );
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id = '1.3.6.1.4.1.25623.1.0.809883' AND f.location IN ('6667/tcp', '6697/tcp')"
        ),
        2
    );
    // 46 distinct <ref type="cve"> ids over all NVTs.
    assert_eq!(
        common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
        46
    );
    // The two results without <threat> have <severity>4.0</severity>: medium.
    assert_eq!(
        text(
            &ws,
            "SELECT group_concat(DISTINCT f.severity) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE v.scanner_id IN ('1.3.6.1.4.1.25623.1.0.106223', '1.3.6.1.4.1.25623.1.0.105880')"
        ),
        "medium"
    );
    // The first result: "The rexec service is running", 512/tcp, cvss_base 10.0 and no
    // vector in a GMP 9.0 report (CVSS v2 by definition there), CVE-1999-0618.
    assert_eq!(
        text(&ws, "SELECT f.location || ' ' || v.title || ' ' || v.severity FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '1.3.6.1.4.1.25623.1.0.100111'"),
        "512/tcp The rexec service is running critical"
    );
    real(10.0)(
        &ws,
        "SELECT cvss2_score FROM vulnerabilities WHERE scanner_id = '1.3.6.1.4.1.25623.1.0.100111' AND cvss2_vector IS NULL AND cvss3_score IS NULL",
    );
    assert_eq!(
        text(&ws, "SELECT group_concat(c.cve) FROM vulnerability_cves c JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = '1.3.6.1.4.1.25623.1.0.100111'"),
        "CVE-1999-0618"
    );
    // A wrapped NVT name is one line: "Distributed Ruby (dRuby/DRb) Multiple Remote Code Execution\n   Vulnerabilities".
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerabilities WHERE title = 'Distributed Ruby (dRuby/DRb) Multiple Remote Code Execution Vulnerabilities'"),
        1
    );
    // The host: <host>192.168.1.1001<hostname>b6b9f466d63</hostname></host> (an invalid address
    // in this anonymised sample, kept as written); report host/start 2023-09-26T10:50:34Z.
    assert_eq!(
        identifiers(&ws),
        ["hostname=b6b9f466d63", "ip=192.168.1.1001"]
    );
    assert_eq!(text(&ws, "SELECT name FROM assets"), "b6b9f466d63");
    assert_eq!(
        text(
            &ws,
            "SELECT min(first_seen) || ' ' || max(first_seen) FROM findings"
        ),
        "2023-09-26T10:50:34.000Z 2023-09-26T10:50:34.000Z"
    );
}

#[test]
fn one_vuln_keeps_every_cve_the_solution_and_the_result_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &common::corpus("openvas/one_vuln.xml"), None).unwrap();
    assert_eq!(r.format, "openvas");
    // One result, severity 10.0 (threat High: OpenVAS's scale has no Critical before GVM 22).
    assert_eq!((r.assets, r.findings), (1, 1));
    assert_eq!(r.by_severity, sev(1, 0, 0, 0, 0));
    // 12 <ref type="cve"> (CVE-2023-4573 .. 4585) and one type="url" that is not a CVE.
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves"),
        12
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves WHERE cve IN ('CVE-2023-4573', 'CVE-2023-4585')"),
        2
    );
    // tags: solution=Upgrade to version 117 or later, ...; summary=Mozilla Firefox is prone ...
    let (solution, description, evidence, location): (String, String, String, String) = ws
        .conn()
        .query_row(
            "SELECT v.solution, v.description, f.evidence, f.location FROM findings_with_evidence f JOIN vulnerabilities v ON v.id = f.vulnerability_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(
        solution.starts_with("Upgrade to version 117 or later"),
        "{solution}"
    );
    assert!(
        description.starts_with("Mozilla Firefox is prone to multiple vulnerabilities."),
        "{description}"
    );
    assert!(
        description.contains("Impact: Successful exploitation"),
        "{description}"
    );
    // The result's own <description> is the evidence: "Installed version: 116.0.3 ...".
    assert!(
        evidence.starts_with("Installed version: 116.0.3"),
        "{evidence}"
    );
    assert_eq!(location, "general/tcp");
    // <hostname></hostname> is empty: the address is the only key. host/start 2023-09-28T14:48:02Z.
    assert_eq!(identifiers(&ws), ["ip=10.0.101.2"]);
    assert_eq!(
        text(&ws, "SELECT first_seen FROM findings"),
        "2023-09-28T14:48:02.000Z"
    );
    assert_eq!(
        text(
            &ws,
            "SELECT scanner_id || ' ' || scanner_score FROM vulnerabilities"
        ),
        "1.3.6.1.4.1.25623.1.0.832260 10.0"
    );
}

#[test]
fn report_detail_v2_reads_the_cvss3_vector_and_converts_the_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(
        &mut ws,
        &common::corpus("openvas/report_detail_v2.xml"),
        None,
    )
    .unwrap();
    assert_eq!(r.format, "openvas");
    // One result, severity 9.8.
    assert_eq!((r.assets, r.findings), (1, 1));
    assert_eq!(r.by_severity, sev(1, 0, 0, 0, 0));
    // <severities><severity type="cvss_base_v3"><score>9.8</score><value>CVSS:3.1/AV:N/...</value>.
    let (score, vector): (f64, String) = ws
        .conn()
        .query_row(
            "SELECT cvss3_score, cvss3_vector FROM vulnerabilities",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(score, 9.8);
    assert_eq!(vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    // 93 distinct CVE refs, from CVE-2025-36350 to CVE-2025-53789.
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves"),
        93
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves WHERE cve IN ('CVE-2025-36350', 'CVE-2025-53789')"),
        2
    );
    // <solution type="VendorFix">The vendor has released updates. Please see ...
    assert!(text(&ws, "SELECT solution FROM vulnerabilities")
        .starts_with("The vendor has released updates."));
    // <host>10.99.99.99 ... <hostname>server99</hostname>; port 42/tcp.
    assert_eq!(identifiers(&ws), ["hostname=server99", "ip=10.99.99.99"]);
    assert_eq!(text(&ws, "SELECT location FROM findings"), "42/tcp");
    // No report-level <host>: scan_start 2025-08-22T15:01:38+02:00 is 13:01:38 UTC.
    assert_eq!(
        text(&ws, "SELECT first_seen FROM findings"),
        "2025-08-22T13:01:38.000Z"
    );
}

#[test]
fn no_vuln_imports_nothing_but_the_import_itself() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // <results start="1" max="-1"/> and no report-level <host>.
    let r = import_file(&mut ws, &common::corpus("openvas/no_vuln.xml"), None).unwrap();
    assert_eq!(r.format, "openvas");
    assert_eq!((r.assets, r.findings), (0, 0));
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM imports"), 1);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 0);
}

/// Every file under scans/, for the detection tests.
fn all_corpus_files() -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&common::corpus(""), &mut out);
    out.sort();
    out
}

fn head(p: &Path) -> Vec<u8> {
    let b = std::fs::read(p).unwrap();
    b[..b.len().min(64 * 1024)].to_vec()
}

#[test]
fn every_openvas_xml_is_detected_and_nothing_else_is_claimed() {
    let openvas = truce_core::ingest::formats()
        .iter()
        .find(|f| f.name() == "openvas")
        .unwrap();
    let mut claimed = Vec::new();
    for p in all_corpus_files() {
        let rel = p.to_string_lossy().replace('\\', "/");
        let mine = rel.contains("/openvas/") && rel.ends_with(".xml");
        let h = head(&p);
        assert_eq!(openvas.sniff(&h), mine, "openvas sniff on {rel}");
        if mine {
            let f = truce_core::ingest::choose_format(&rel, None, &h).unwrap();
            assert_eq!(f.name(), "openvas", "{rel}");
            claimed.push(rel);
        }
    }
    // many_vuln, no_vuln, one_vuln, report_detail_v2.
    assert_eq!(claimed.len(), 4);
}

/// Bad input: a clear error naming the file and the position, and the workspace as it was.
fn refused(name: &str, bytes: &[u8], format: Option<&str>, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &common::corpus("openvas/one_vuln.xml"), None).unwrap();
    common::assert_refused(ws, name, bytes, format, "byte ", problem);
}

fn many() -> String {
    std::fs::read_to_string(common::corpus("openvas/many_vuln.xml")).unwrap()
}

#[test]
fn a_truncated_report_is_refused() {
    let bytes = many().into_bytes();
    refused("cut.xml", &bytes[..bytes.len() * 2 / 3], None, "truncated");
    // Cut after the results, before the report-level <host>: still truncated, nothing kept.
    let s = many();
    let at = s.find("</results>").unwrap() + "</results>".len();
    refused("cut2.xml", &s.as_bytes()[..at], None, "truncated");
}

#[test]
fn a_wrong_root_element_is_refused() {
    refused(
        "nexpose.xml",
        &std::fs::read(common::corpus("nexpose/dns.xml")).unwrap(),
        Some("openvas"),
        "not an OpenVAS report: the root element is <NexposeReport>",
    );
    refused(
        "other.xml",
        b"<?xml version=\"1.0\"?>\n<results><result/></results>",
        Some("openvas"),
        "not an OpenVAS report: the root element is <results>",
    );
}

/// A minimal report with the given text inside one result's NVT name.
fn doc(doctype: &str, name: &str, severity: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
{doctype}<report id="r" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5"><report id="r"><gmp><version>22.6</version></gmp>
<scan_start>2024-01-01T00:00:00Z</scan_start><results>
<result id="1"><host>10.0.0.9</host><port>80/tcp</port><nvt oid="1.2.3"><name>{name}</name><cvss_base>5.0</cvss_base><tags>summary=s</tags></nvt><threat>Medium</threat><severity>{severity}</severity><description>d</description></result>
</results></report></report>"#
    )
}

#[test]
fn external_entities_are_refused() {
    let xxe = doc(
        "<!DOCTYPE report [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n",
        "&xxe;",
        "5.0",
    );
    refused("xxe.xml", xxe.as_bytes(), None, "entities");
}

#[test]
fn entity_expansion_bombs_are_refused() {
    let dtd = common::entity_bomb_dtd("report");
    refused(
        "bomb.xml",
        doc(&dtd, "&a9;", "5.0").as_bytes(),
        None,
        "entities",
    );
}

#[test]
fn undefined_entities_and_bad_severities_are_refused() {
    refused(
        "nbsp.xml",
        doc("", "a&nbsp;b", "5.0").as_bytes(),
        None,
        "undefined entity",
    );
    refused(
        "sev.xml",
        doc("", "x", "high").as_bytes(),
        None,
        "severity \"high\" is not a number",
    );
    refused(
        "sev11.xml",
        doc("", "x", "11.0").as_bytes(),
        None,
        "not 0..10",
    );
}

#[test]
fn false_positives_debug_and_log_results() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // A Log result (0.0) is info; False Positive (-1.0), Debug (-2.0) and a threat-only
    // "False Positive" are not findings, but their host is still in the scan.
    let result = |oid: &str, host: &str, threat: &str, sev: &str| {
        format!(
            "<result><host>{host}</host><port>general/tcp</port><nvt oid=\"{oid}\"><name>N{oid}</name></nvt><threat>{threat}</threat>{sev}</result>"
        )
    };
    let body = [
        result("1", "10.0.0.1", "Log", "<severity>0.0</severity>"),
        result(
            "2",
            "10.0.0.1",
            "False Positive",
            "<severity>-1.0</severity>",
        ),
        result("3", "10.0.0.2", "Debug", "<severity>-2.0</severity>"),
        result("4", "10.0.0.1", "False Positive", ""),
        result("5", "10.0.0.1", "Low", ""),
    ]
    .concat();
    let report = format!(
        "<report><report><scan_start>2024-01-01T00:00:00Z</scan_start><results>{body}</results></report></report>"
    );
    let path = dir.path().join("fp.xml");
    std::fs::write(&path, report).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!((r.assets, r.findings), (2, 2));
    assert_eq!(r.by_severity, sev(0, 0, 0, 1, 1));
    assert_eq!(
        text(&ws, "SELECT group_concat(scanner_id || '=' || severity, ' ') FROM (SELECT * FROM vulnerabilities ORDER BY scanner_id)"),
        "1=info 5=low"
    );
}

#[test]
fn a_later_report_without_a_result_closes_exactly_that_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let first = many();
    let r1 = import_file(&mut ws, &common::corpus("openvas/many_vuln.xml"), None).unwrap();
    assert_eq!((r1.new, r1.closed), (44, 0));
    // A month later, the first result (rexec, NVT 1.3.6.1.4.1.25623.1.0.100111 on 512/tcp)
    // is gone. The date 2023-09-26T10:50:34Z occurs three times (timestamp, scan_start, host start).
    assert_eq!(first.matches("2023-09-26T10:50:34Z").count(), 3);
    let start = first.find("<result id=").unwrap();
    let end = first[start..].find("</result>").unwrap() + start + "</result>".len();
    assert!(first[start..end].contains("oid=\"1.3.6.1.4.1.25623.1.0.100111\""));
    let later = format!("{}{}", &first[..start], &first[end..])
        .replace("2023-09-26T10:50:34Z", "2023-10-26T10:50:34Z");
    let path = dir.path().join("october.xml");
    std::fs::write(&path, later).unwrap();
    let r2 = import_file(&mut ws, &path, None).unwrap();
    assert_eq!(
        (r2.findings, r2.new, r2.closed, r2.unchanged, r2.reopened),
        (43, 0, 1, 43, 0)
    );
    assert_eq!(
        text(
            &ws,
            "SELECT v.scanner_id || ' ' || f.location || ' ' || f.closed_at FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE f.status = 'fixed'"
        ),
        "1.3.6.1.4.1.25623.1.0.100111 512/tcp 2023-10-26T10:50:34.000Z"
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
        43
    );
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 1);
}

#[test]
fn report_level_host_details_name_the_asset() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // A GMP 22.6 report in a get_reports_response: the result's host has no <hostname>; the
    // report-level <host> gives hostname, OS, MAC and start; a second host has no result.
    let doc = r#"<get_reports_response status="200"><report id="r" format_id="x"><report id="r">
<gmp><version>22.6</version></gmp><scan_start>2024-03-01T09:30:00Z</scan_start>
<results>
<result><host>10.0.0.7<asset asset_id="a"/><hostname></hostname></host><port>22/tcp</port>
 <nvt oid="9.1"><name>Old SSH</name><cvss_base>7.5</cvss_base><tags>cvss_base_vector=AV:N/AC:L/Au:N/C:P/I:P/A:P|summary=s</tags></nvt>
 <threat>High</threat><severity>7.5</severity></result>
<result><host>10.0.0.7</host><port>general/tcp</port>
 <nvt oid="9.2"><name>OS detection</name><cvss_base>0.0</cvss_base><tags>summary=os</tags></nvt>
 <threat>Log</threat><severity>0.0</severity></result>
</results>
<host><ip>10.0.0.7</ip><start>2024-03-01T10:00:00+01:00</start>
 <detail><name>hostname</name><value>web7.example.org</value></detail>
 <detail><name>best_os_txt</name><value>Ubuntu 22.04</value></detail>
 <detail><name>MAC</name><value>00-0C-29-AA-BB-CC</value></detail></host>
<host><ip>10.0.0.8</ip><start>2024-03-01T09:45:00Z</start></host>
</report></report></get_reports_response>"#;
    let path = dir.path().join("details.xml");
    std::fs::write(&path, doc).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!(r.format, "openvas");
    assert_eq!((r.assets, r.findings), (2, 2));
    assert_eq!(r.by_severity, sev(0, 1, 0, 0, 1));
    assert_eq!(
        identifiers(&ws),
        [
            "fqdn=web7.example.org",
            "hostname=web7",
            "ip=10.0.0.7",
            "ip=10.0.0.8",
            "mac=00:0c:29:aa:bb:cc"
        ]
    );
    assert_eq!(
        text(
            &ws,
            "SELECT name || ' ' || os FROM assets WHERE os IS NOT NULL"
        ),
        "web7.example.org Ubuntu 22.04"
    );
    // host/start 10:00+01:00 is 09:00 UTC, before scan_start: the host's own time wins.
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings"),
        "2024-03-01T09:00:00.000Z"
    );
    // A v2 vector tag makes cvss_base a CVSS v2 score; a bare cvss_base in a GMP 22 report
    // names no version and is kept only as the scanner's score.
    assert_eq!(
        text(&ws, "SELECT cvss2_score || ' ' || cvss2_vector FROM vulnerabilities WHERE scanner_id = '9.1'"),
        "7.5 AV:N/AC:L/Au:N/C:P/I:P/A:P"
    );
    assert_eq!(
        text(&ws, "SELECT coalesce(cvss2_score, cvss3_score, 'none') || ' ' || scanner_score FROM vulnerabilities WHERE scanner_id = '9.2'"),
        "none 0.0"
    );
}
