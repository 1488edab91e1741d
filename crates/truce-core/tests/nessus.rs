//! Importing real .nessus files. Expected numbers were read from the files themselves
//! (counting ReportHost / ReportItem elements and their attributes with Python's
//! xml.etree, merging items with the same host, pluginID, port and protocol).

mod common;

use common::sev;

use truce_core::ingest::import_file;

#[test]
fn nessus_v_unknown_has_seven_hosts_and_296_findings() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(
        &mut ws,
        &common::corpus("tenable/nessus/nessus_v_unknown.xml"),
        None,
    )
    .unwrap();
    assert_eq!(r.format, "nessus");
    assert_eq!((r.assets, r.findings, r.new), (7, 296, 296));
    // severity attribute: 266 x "0", 7 x "1", 23 x "2"
    assert_eq!(r.by_severity, sev(0, 0, 23, 7, 266));
    let names: Vec<String> = ws
        .conn()
        .prepare("SELECT name FROM assets ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        names,
        ["qa3app01", "qa3app02", "qa3app03", "qa3app04", "qa3app05", "qa3app06", "qa3app09"]
    );
}

#[test]
fn repeats_inside_one_file_merge_and_every_cve_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // 49 ReportItems, plugin 58987 on 80/tcp twice: 48 findings. Severities 1x4, 10x3, 13x2, 1x1, 23x0.
    let r = import_file(
        &mut ws,
        &common::corpus("tenable/nessus/nessus_with_cvssv3.nessus"),
        None,
    )
    .unwrap();
    assert_eq!((r.assets, r.findings), (1, 48));
    assert_eq!(r.by_severity, sev(1, 10, 13, 1, 23));
    // 136 distinct <cve> values across its items.
    assert_eq!(
        common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
        136
    );
    // The critical one is "PHP Unsupported Version Detection" with CVSS v3 base score 10.0.
    let (title, cvss3): (String, f64) = ws
        .conn()
        .query_row(
            "SELECT title, cvss3_score FROM vulnerabilities WHERE scanner_id = '58987'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(title, "PHP Unsupported Version Detection");
    assert_eq!(cvss3, 10.0);
    // The asset carries the FQDN and IP from HostProperties, and the scan time from HOST_START_TIMESTAMP 1648042311.
    let ids = common::scalar(
        &ws,
        "SELECT count(*) FROM asset_identifiers WHERE (kind='fqdn' AND value='testphp.vulnweb.com') OR (kind='ip' AND value='44.228.249.3')",
    );
    assert_eq!(ids, 2);
    let first_seen: String = ws
        .conn()
        .query_row("SELECT min(first_seen) FROM findings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(first_seen, "2022-03-23T13:31:51.000Z");
}

#[test]
fn the_same_file_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let file = common::corpus("tenable/nessus/nessus_many_vuln.xml");
    let first = import_file(&mut ws, &file, None).unwrap();
    assert_eq!((first.assets, first.findings, first.new), (1, 7, 7));
    let before = common::dump(&ws);
    let again = import_file(&mut ws, &file, None).unwrap();
    assert_eq!(
        (again.new, again.unchanged, again.reopened, again.closed),
        (0, 7, 0, 0)
    );
    assert_eq!(common::dump(&ws), before);
    // Forcing another format is not answered from the earlier import: the file is judged anew.
    let forced = import_file(&mut ws, &file, Some("trivy"));
    assert!(
        matches!(forced, Err(truce_core::Error::BadInput { .. })),
        "{forced:?}"
    );
    assert_eq!(common::dump(&ws), before);
}

#[test]
fn one_machine_in_several_files_is_one_asset() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // Three files scan testphp.vulnweb.com: 48 + 1 (plugin of severity 2) + 1 (severity 3) items.
    for f in [
        "nessus_with_cvssv3.nessus",
        "issue_6992.nessus",
        "nessus_with_cwe-.nessus",
    ] {
        import_file(
            &mut ws,
            &common::corpus(&format!("tenable/nessus/{f}")),
            None,
        )
        .unwrap();
    }
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 1);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM imports"), 3);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM import_scope"), 3);
}

/// Bad input: a clear error naming the file and the position, and the workspace as it was.
fn refused(name: &str, bytes: &[u8], problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(
        &mut ws,
        &common::corpus("tenable/nessus/nessus_many_vuln.xml"),
        None,
    )
    .unwrap();
    common::assert_refused(ws, name, bytes, None, "byte ", problem);
}

fn real() -> Vec<u8> {
    std::fs::read(common::corpus("tenable/nessus/nessus_v_unknown.xml")).unwrap()
}

#[test]
fn an_empty_file_is_refused() {
    refused("empty.nessus", b"", "empty");
}

#[test]
fn a_truncated_file_is_refused_and_nothing_of_it_is_kept() {
    let bytes = real();
    refused("cut.nessus", &bytes[..bytes.len() * 2 / 3], "truncated");
}

#[test]
fn binary_junk_is_refused() {
    let junk: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    refused("junk.bin", &junk, "not a report format");
}

#[test]
fn a_different_format_is_refused() {
    refused(
        "report.json",
        br#"{"SchemaVersion": 2, "Results": []}"#,
        "not a report format",
    );
}

#[test]
fn invalid_utf8_is_refused() {
    let mut bytes = real();
    let at = bytes.windows(11).position(|w| w == b"<synopsis>T").unwrap() + 10;
    bytes[at] = 0xFF;
    refused("latin.nessus", &bytes, "invalid UTF-8");
}

/// CDATA counts toward a field's size like text: a plugin output of 17 MB in one CDATA section
/// was kept whole.
#[test]
fn a_field_past_the_limit_is_refused_in_cdata_too() {
    let huge = "x".repeat(17 * 1024 * 1024);
    let doc = format!(
        r#"<NessusClientData_v2><Report name="x"><ReportHost name="h"><HostProperties/>
<ReportItem port="0" protocol="tcp" severity="1" pluginID="1" pluginName="p"><plugin_output><![CDATA[{huge}]]></plugin_output></ReportItem></ReportHost></Report></NessusClientData_v2>"#
    );
    refused("cdata.nessus", doc.as_bytes(), "larger than 16 MB");
}

#[test]
fn external_entities_are_refused() {
    let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE NessusClientData_v2 [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<NessusClientData_v2><Report name="x"><ReportHost name="h"><HostProperties/>
<ReportItem port="0" protocol="tcp" severity="1" pluginID="1" pluginName="&xxe;"/></ReportHost></Report></NessusClientData_v2>"#;
    refused("xxe.nessus", xxe, "entities");
}

#[test]
fn entity_expansion_bombs_are_refused() {
    let mut bomb = format!(
        "<?xml version=\"1.0\"?>\n{}",
        common::entity_bomb_dtd("NessusClientData_v2")
    );
    bomb.push_str("<NessusClientData_v2><Report name=\"&a9;\"></Report></NessusClientData_v2>");
    refused("bomb.nessus", bomb.as_bytes(), "entities");
}

#[test]
fn undefined_entities_are_refused() {
    let doc = br#"<NessusClientData_v2><Report name="x"><ReportHost name="h"><HostProperties/>
<ReportItem port="0" protocol="tcp" severity="1" pluginID="1" pluginName="x"><description>&nbsp;</description></ReportItem>
</ReportHost></Report></NessusClientData_v2>"#;
    refused("nbsp.nessus", doc, "undefined entity");
}

#[test]
fn a_severity_outside_the_scale_is_refused() {
    let doc = br#"<NessusClientData_v2><Report name="x"><ReportHost name="h"><HostProperties/>
<ReportItem port="0" protocol="tcp" severity="9" pluginID="1" pluginName="x"/>
</ReportHost></Report></NessusClientData_v2>"#;
    refused("sev.nessus", doc, "not 0..4");
}

#[test]
fn a_huge_field_is_refused() {
    let mut doc = String::from(
        r#"<NessusClientData_v2><Report name="x"><ReportHost name="h"><HostProperties/><ReportItem port="0" protocol="tcp" severity="1" pluginID="1" pluginName="x"><plugin_output>"#,
    );
    doc.push_str(&"A".repeat(17 * 1024 * 1024));
    doc.push_str("</plugin_output></ReportItem></ReportHost></Report></NessusClientData_v2>");
    refused("huge.nessus", doc.as_bytes(), "larger than");
}

#[test]
fn character_references_and_predefined_entities_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let doc = "<NessusClientData_v2><Report name=\"x\"><ReportHost name=\"srv.example.org\"><HostProperties/>
<ReportItem port=\"443\" protocol=\"tcp\" severity=\"3\" pluginID=\"77\" pluginName=\"Caf&#233; &amp; Bar &lt;TLS&gt; — ünïcode\"/>
</ReportHost></Report></NessusClientData_v2>";
    let path = dir.path().join("ok.nessus");
    std::fs::write(&path, doc).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!((r.assets, r.findings), (1, 1));
    let title: String = ws
        .conn()
        .query_row("SELECT title FROM vulnerabilities", [], |r| r.get(0))
        .unwrap();
    assert_eq!(title, "Café & Bar <TLS> — ünïcode");
    let loc: String = ws
        .conn()
        .query_row("SELECT location FROM findings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(loc, "443/tcp");
}
