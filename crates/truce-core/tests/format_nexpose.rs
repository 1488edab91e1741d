//! Importing Rapid7 Nexpose XML exports (scans/nexpose/*.xml).
//!
//! Expected numbers were read from the files themselves with Python's xml.etree, not from
//! Truce: for each top-level `nodes/node`, its `tests/test` (location "0/tcp") and its
//! `endpoints/endpoint/services/service/tests/test` (location "port/protocol") whose status is
//! vulnerable-exploited / vulnerable-version / vulnerable-potential, merged on
//! (node address, lower-case test id, location); severity from the `vulnerability` definition
//! with that id anywhere in the file (9-10 critical, 7-8 high, 4-6 medium, 1-3 low, 0 info;
//! no definition: info); assets = distinct node addresses.
//! tests/scripts/derive_xml_expectations.py prints them.

mod common;

use common::text;

use common::sev;

use std::path::Path;

use truce_core::ingest::import_file;
use truce_core::Workspace;

fn list(ws: &Workspace, sql: &str) -> Vec<String> {
    ws.conn()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn dns_has_one_node_and_five_findings_on_tcp_and_udp() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &common::corpus("nexpose/dns.xml"), None).unwrap();
    assert_eq!(r.format, "nexpose");
    // 5 vulnerable-exploited tests: 2 on 53/tcp, 3 on 53/udp, all distinct.
    assert_eq!((r.assets, r.findings, r.new), (1, 5, 5));
    // dns-allows-cache-snooping and dns-processes-recursive-queries are severity 5 (x2 each),
    // dns-amplification is 1.
    assert_eq!(r.by_severity, sev(0, 0, 4, 1, 0));
    assert_eq!(
        list(&ws, "SELECT v.scanner_id || ' ' || f.location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id ORDER BY 1"),
        [
            "dns-allows-cache-snooping 53/tcp",
            "dns-allows-cache-snooping 53/udp",
            "dns-amplification 53/udp",
            "dns-processes-recursive-queries 53/tcp",
            "dns-processes-recursive-queries 53/udp",
        ]
    );
    // cvssScore="5.0" cvssVector="(AV:N/AC:L/Au:N/C:P/I:N/A:N)": a CVSS v2 vector, parentheses dropped.
    let (title, score, vector): (String, f64, String) = ws
        .conn()
        .query_row(
            "SELECT title, cvss2_score, cvss2_vector FROM vulnerabilities WHERE scanner_id = 'dns-allows-cache-snooping'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(title, "DNS server allows cache snooping");
    assert_eq!(score, 5.0);
    assert_eq!(vector, "AV:N/AC:L/Au:N/C:P/I:N/A:N");
    // Its description and solution are plain text: "This DNS server is susceptible ...",
    // "Restrict the processing of DNS queries ..." (ContainerBlockElement/Paragraph unwrapped).
    let (description, solution): (String, String) = ws
        .conn()
        .query_row(
            "SELECT description, solution FROM vulnerabilities WHERE scanner_id = 'dns-allows-cache-snooping'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(
        description.starts_with(
            "This DNS server is susceptible to DNS cache snooping, whereby an attacker can make"
        ),
        "{description}"
    );
    assert_eq!(solution, "Restrict the processing of DNS queries to only systems that should be allowed to use this nameserver.");
    // The proof: "Received 4 answers to a non-recursive query for www.rapid7.com".
    assert_eq!(
        text(&ws, "SELECT evidence FROM findings_with_evidence WHERE location = '53/tcp' AND vulnerability_id = (SELECT id FROM vulnerabilities WHERE scanner_id = 'dns-allows-cache-snooping')"),
        "Received 4 answers to a non-recursive query for www.rapid7.com"
    );
    // node address 192.168.1.1, hardware-address 001122334455, os Linux 2.6.32;
    // scan 28959 startTime 20210228T225351463.
    assert_eq!(
        list(
            &ws,
            "SELECT kind || '=' || value FROM asset_identifiers ORDER BY 1"
        ),
        ["ip=192.168.1.1", "mac=00:11:22:33:44:55"]
    );
    assert_eq!(text(&ws, "SELECT os FROM assets"), "Linux 2.6.32");
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings"),
        "2021-02-28T22:53:51.000Z"
    );
}

#[test]
fn many_vulns_merges_repeated_tests_and_keeps_nodes_without_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &common::corpus("nexpose/many_vulns.xml"), None).unwrap();
    assert_eq!(r.format, "nexpose");
    // 8 nodes; 162 vulnerable tests (158 vulnerable-exploited, 4 vulnerable-version) give 28
    // distinct (node, id, location): http-basic-auth-cleartext fires 134 times on 192.168.1.18:80
    // (one per URL key) and twice on 192.168.1.33:80.
    assert_eq!((r.assets, r.findings), (8, 28));
    assert_eq!(r.by_severity, sev(1, 5, 8, 14, 0));
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 8);
    // 17 distinct vulnerabilities found (of 136 definitions in the file).
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerabilities"),
        17
    );
    // CVE references of those 17: CVE-1999-0524, CVE-2004-0230, CVE-2009-1252, CVE-2009-2765.
    assert_eq!(
        list(&ws, "SELECT cve FROM vulnerability_cves ORDER BY 1"),
        [
            "CVE-1999-0524",
            "CVE-2004-0230",
            "CVE-2009-1252",
            "CVE-2009-2765"
        ]
    );
    // The merged finding's proof names every one of the 134 distinct keys (all start with '/').
    let evidence = text(
        &ws,
        "SELECT f.evidence FROM findings_with_evidence f JOIN assets a ON a.id = f.asset_id JOIN asset_identifiers i ON i.asset_id = a.id
         JOIN vulnerabilities v ON v.id = f.vulnerability_id
         WHERE i.value = '192.168.1.18' AND v.scanner_id = 'http-basic-auth-cleartext' AND f.location = '80/tcp'",
    );
    assert_eq!(evidence.matches("\n[/").count() + 1, 134, "{evidence}");
    assert!(evidence.starts_with("[/cgi-bin/Management.asp] Running vulnerable HTTP service."));
    // ssh-default-account-root-password-root, severity 10, cvssScore 10.0, on 192.168.1.1:22.
    assert_eq!(
        text(&ws, "SELECT f.location || ' ' || f.severity FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'ssh-default-account-root-password-root'"),
        "22/tcp critical"
    );
    // Node-level tests are at 0/tcp: tcp-seq-num-approximation is vulnerable on 3 nodes.
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = 'tcp-seq-num-approximation' AND f.location = '0/tcp'"),
        3
    );
    // Node 192.168.1.37: hardware-address E4CE8F490D7C, names/name MACBOOKPRO-C9A7, no finding.
    assert_eq!(
        list(&ws, "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id = (SELECT asset_id FROM asset_identifiers WHERE value = '192.168.1.37') ORDER BY 1"),
        ["hostname=macbookpro-c9a7", "ip=192.168.1.37", "mac=e4:ce:8f:49:0d:7c"]
    );
    // Node 192.168.1.40: two OS fingerprints of certainty 0.70; the first is kept.
    assert_eq!(
        text(&ws, "SELECT a.os FROM assets a JOIN asset_identifiers i ON i.asset_id = a.id WHERE i.value = '192.168.1.40'"),
        "Microsoft Windows 7.5"
    );
}

#[test]
fn report_auth_has_four_named_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &common::corpus("nexpose/report_auth.xml"), None).unwrap();
    assert_eq!(r.format, "nexpose");
    // 26 node-level tests; unix-user-home-dir-mode is tested 4 times per node (different keys):
    // 4 + 4 x (icmp-redirect, grub) + 2 x tcp-timestamp = 14 findings.
    assert_eq!((r.assets, r.findings), (4, 14));
    // linux-icmp-redirect 7 (x4), linux-grub-missing-passwd 5 (x4),
    // unix-user-home-dir-mode 2 (x4) and generic-tcp-timestamp 1 (x2).
    assert_eq!(r.by_severity, sev(0, 4, 4, 6, 0));
    assert_eq!(
        list(&ws, "SELECT name FROM assets ORDER BY name"),
        ["host0", "host1", "host3", "host4"]
    );
    // <os vendor="Ubuntu" family="Linux" product="Linux" version="20.04"/>.
    assert_eq!(
        list(&ws, "SELECT DISTINCT os FROM assets"),
        ["Ubuntu Linux 20.04"]
    );
    // scan 27992 startTime 20210211T162340221.
    assert_eq!(
        text(
            &ws,
            "SELECT min(first_seen) || ' ' || max(first_seen) FROM findings"
        ),
        "2021-02-11T16:23:40.000Z 2021-02-11T16:23:40.000Z"
    );
}

#[test]
fn no_vuln_keeps_a_vulnerable_test_without_definition_as_info() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(&mut ws, &common::corpus("nexpose/no_vuln.xml"), None).unwrap();
    assert_eq!(r.format, "nexpose");
    // One node, one test tcp-seq-num-approximation status="vulnerable-exploited"; the only
    // definition in the file is udp-ipid-zero, so the finding has no title or severity: info.
    assert_eq!((r.assets, r.findings), (1, 1));
    assert_eq!(r.by_severity, sev(0, 0, 0, 0, 1));
    assert_eq!(
        text(
            &ws,
            "SELECT scanner_id || ' ' || title || ' ' || severity FROM vulnerabilities"
        ),
        "tcp-seq-num-approximation tcp-seq-num-approximation info"
    );
    assert_eq!(
        text(&ws, "SELECT evidence FROM findings_with_evidence"),
        "TCP reset with incorrect sequence number triggered this fault on 192.168.1.1:21: Connection reset by peer"
    );
}

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

#[test]
fn every_nexpose_file_is_detected_and_nothing_else_is_claimed() {
    let nexpose = truce_core::ingest::formats()
        .iter()
        .find(|f| f.name() == "nexpose")
        .unwrap();
    let mut claimed = Vec::new();
    for p in all_corpus_files() {
        let rel = p.to_string_lossy().replace('\\', "/");
        let mine = rel.contains("/nexpose/");
        let b = std::fs::read(&p).unwrap();
        let h = &b[..b.len().min(64 * 1024)];
        assert_eq!(nexpose.sniff(h), mine, "nexpose sniff on {rel}");
        if mine {
            let f = truce_core::ingest::choose_format(&rel, None, h).unwrap();
            assert_eq!(f.name(), "nexpose", "{rel}");
            claimed.push(rel);
        }
    }
    // dns, many_vulns, no_vuln, report_auth.
    assert_eq!(claimed.len(), 4);
}

fn refused(name: &str, bytes: &[u8], format: Option<&str>, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(&mut ws, &common::corpus("nexpose/dns.xml"), None).unwrap();
    common::assert_refused(ws, name, bytes, format, "byte ", problem);
}

fn many() -> String {
    std::fs::read_to_string(common::corpus("nexpose/many_vulns.xml")).unwrap()
}

#[test]
fn a_truncated_export_is_refused() {
    let bytes = many().into_bytes();
    refused("cut.xml", &bytes[..bytes.len() / 3], None, "truncated");
    // Cut between the nodes and the definitions: the findings are all read, still refused.
    let s = many();
    let at = s.find("<VulnerabilityDefinitions>").unwrap();
    refused("cut2.xml", &s.as_bytes()[..at], None, "truncated");
}

#[test]
fn a_wrong_root_element_is_refused() {
    refused(
        "openvas.xml",
        &std::fs::read(common::corpus("openvas/one_vuln.xml")).unwrap(),
        Some("nexpose"),
        "not a Nexpose report: the root element is <report>",
    );
    refused(
        "simple.xml",
        br#"<?xml version="1.0"?><NeXposeSimpleXML version="1.0"><devices><device address="10.0.0.1"/></devices></NeXposeSimpleXML>"#,
        None,
        "Nexpose Simple XML is not supported",
    );
}

fn doc(doctype: &str, title: &str, severity: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
{doctype}<NexposeReport version="2.0"><scans><scan id="1" startTime="20240101T000000000"/></scans>
<nodes><node address="10.0.0.5"><tests><test id="x-1" status="vulnerable-version"/></tests></node></nodes>
<VulnerabilityDefinitions><vulnerability id="x-1" title="{title}" severity="{severity}"/></VulnerabilityDefinitions>
</NexposeReport>"#
    )
}

#[test]
fn external_entities_are_refused() {
    let xxe = doc(
        "<!DOCTYPE NexposeReport [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n",
        "&xxe;",
        "5",
    );
    refused("xxe.xml", xxe.as_bytes(), None, "entities");
}

#[test]
fn entity_expansion_bombs_are_refused() {
    let dtd = common::entity_bomb_dtd("NexposeReport");
    refused(
        "bomb.xml",
        doc(&dtd, "&a9;", "5").as_bytes(),
        None,
        "entities",
    );
}

#[test]
fn undefined_entities_and_bad_severities_are_refused() {
    refused(
        "nbsp.xml",
        doc("", "a&nbsp;b", "5").as_bytes(),
        None,
        "unrecognized entity `nbsp`",
    );
    refused(
        "sev.xml",
        doc("", "x", "severe").as_bytes(),
        None,
        "severity \"severe\" is not 0..10",
    );
    refused(
        "sev11.xml",
        doc("", "x", "11").as_bytes(),
        None,
        "is not 0..10",
    );
}

/// A synthetic export: node address -> (test id, status, port or "" for node level).
fn export(start: &str, tests: &[(&str, &str, &str)]) -> String {
    let mut node_tests = String::new();
    let mut endpoints = String::new();
    for (id, status, port) in tests {
        let t = format!("<test id=\"{id}\" status=\"{status}\" scan-id=\"7\"><Paragraph>proof {id}</Paragraph></test>");
        if port.is_empty() {
            node_tests.push_str(&t);
        } else {
            endpoints.push_str(&format!(
                "<endpoint protocol=\"tcp\" port=\"{port}\" status=\"open\"><services><service name=\"x\"><tests>{t}</tests></service></services></endpoint>"
            ));
        }
    }
    let defs: String = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .zip(["10", "8", "6", "3", "0", "5"])
        .map(|(id, s)| {
            format!("<vulnerability id=\"{id}\" title=\"Vuln {id}\" severity=\"{s}\"{}><exploits>{}</exploits></vulnerability>",
                if *id == "b" { " cvssScore=\"7.5\" cvssVector=\"(AV:N/AC:L/Au:N/C:P/I:P/A:P)\" cvssV3Score=\"8.8\" cvssV3Vector=\"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H\"" } else { "" },
                if *id == "a" { "<exploit id=\"1\" title=\"x\" type=\"metasploit\"/>" } else { "" })
        })
        .collect();
    format!(
        "<NexposeReport version=\"2.0\"><scans><scan id=\"7\" startTime=\"{start}\"/></scans><nodes>\
         <node address=\"10.1.1.1\"><names><name>db01.example.org</name></names><tests>{node_tests}</tests><endpoints>{endpoints}</endpoints></node>\
         </nodes><VulnerabilityDefinitions>{defs}</VulnerabilityDefinitions></NexposeReport>"
    )
}

#[test]
fn statuses_that_count_and_the_severity_scale() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let doc = export(
        "20240101T080000000",
        &[
            ("a", "vulnerable-exploited", "22"),
            ("b", "vulnerable-version", ""),
            ("c", "vulnerable-potential", "443"),
            ("d", "potential", "80"),
            ("e", "vulnerable-exploited", ""),
            ("f", "exception-vulnerable-exploited", ""),
            ("f", "not-vulnerable", "21"),
            ("f", "skipped-version", "23"),
            ("f", "error", "24"),
        ],
    );
    let path = dir.path().join("statuses.xml");
    std::fs::write(&path, doc).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    // a 10, b 8, c 6, d 3, e 0; f (5) only in statuses that are not findings.
    assert_eq!((r.assets, r.findings), (1, 5));
    assert_eq!(r.by_severity, sev(1, 1, 1, 1, 1));
    assert_eq!(
        list(&ws, "SELECT v.scanner_id || ' ' || f.location || ' ' || v.scanner_score || ' ' || v.exploit_available FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id ORDER BY 1"),
        ["a 22/tcp 10 1", "b 0/tcp 8 0", "c 443/tcp 6 0", "d 80/tcp 3 0", "e 0/tcp 0 0"]
    );
    assert_eq!(
        list(
            &ws,
            "SELECT kind || '=' || value FROM asset_identifiers ORDER BY 1"
        ),
        ["fqdn=db01.example.org", "hostname=db01", "ip=10.1.1.1"]
    );
    // b carries both CVSS versions.
    assert_eq!(
        text(&ws, "SELECT cvss2_score || ' ' || cvss2_vector || ' ' || cvss3_score || ' ' || cvss3_vector FROM vulnerabilities WHERE scanner_id = 'b'"),
        "7.5 AV:N/AC:L/Au:N/C:P/I:P/A:P 8.8 CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
    );
}

#[test]
fn a_later_export_without_a_test_closes_exactly_that_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r1 = import_file(&mut ws, &common::corpus("nexpose/dns.xml"), None).unwrap();
    assert_eq!((r1.new, r1.closed), (5, 0));
    // A day later, dns-amplification (53/udp, the only test with that id) is no longer
    // vulnerable: its status becomes not-vulnerable, and the scan starts on 2021-03-01.
    let first = std::fs::read_to_string(common::corpus("nexpose/dns.xml")).unwrap();
    assert_eq!(
        first
            .matches("<test id=\"dns-amplification\" key=\"\" status=\"vulnerable-exploited\"")
            .count(),
        1
    );
    let later = first
        .replace(
            "<test id=\"dns-amplification\" key=\"\" status=\"vulnerable-exploited\"",
            "<test id=\"dns-amplification\" key=\"\" status=\"not-vulnerable\"",
        )
        .replace(
            "startTime=\"20210228T225351463\"",
            "startTime=\"20210301T225351463\"",
        );
    let path = dir.path().join("tuesday.xml");
    std::fs::write(&path, later).unwrap();
    let r2 = import_file(&mut ws, &path, None).unwrap();
    assert_eq!((r2.findings, r2.new, r2.closed, r2.unchanged), (4, 0, 1, 4));
    assert_eq!(
        text(&ws, "SELECT v.scanner_id || ' ' || f.location || ' ' || f.closed_at FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE f.status = 'fixed'"),
        "dns-amplification 53/udp 2021-03-01T22:53:51.000Z"
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
        4
    );
}

#[test]
fn a_synthetic_rescan_closes_the_dropped_test() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let tests = [
        ("a", "vulnerable-exploited", "22"),
        ("b", "vulnerable-version", ""),
        ("c", "vulnerable-potential", "443"),
    ];
    let p1 = dir.path().join("one.xml");
    std::fs::write(&p1, export("20240101T080000000", &tests)).unwrap();
    assert_eq!(import_file(&mut ws, &p1, None).unwrap().new, 3);
    let p2 = dir.path().join("two.xml");
    std::fs::write(&p2, export("20240108T080000000", &tests[..2])).unwrap();
    let r = import_file(&mut ws, &p2, None).unwrap();
    assert_eq!((r.closed, r.unchanged), (1, 2));
    assert_eq!(
        text(&ws, "SELECT v.scanner_id || ' ' || f.location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE f.status = 'fixed'"),
        "c 443/tcp"
    );
}
