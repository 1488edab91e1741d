//! Importing Nessus / Tenable CSV exports. Every expected number below was read from the
//! files themselves by tests/derive_expectations.py (Python csv module, no code shared with
//! the importer): rows grouped on (host, Plugin ID, Port, Protocol), hosts matched into
//! assets with identity.rs's rule, severity from Risk, else Severity, else definition.severity.

mod common;

use common::text_opt as text;

use common::sev;

use std::path::Path;

use truce_core::ingest::{formats, import_file};
use truce_core::model::ImportReport;
use truce_core::Workspace;

fn import(ws: &mut Workspace, rel: &str) -> ImportReport {
    let r = import_file(ws, &common::corpus(rel), None).unwrap();
    assert_eq!(r.format, "nessus-csv", "{rel} detected as {}", r.format);
    r
}

/// (file, assets, findings, by severity, distinct CVEs stored), one fresh workspace each.
#[test]
fn every_tenable_csv_export_imports_with_the_counts_read_from_the_file() {
    let cases = [
        // 3 rows, plugin 42873 on 1.2.3.4:443, 2.3.4.5:443, 1.2.3.4:8443, Severity "High".
        // Both IPs carry MAC fa:16:3e:e6:0b:98 (the sample is anonymised), and a shared MAC
        // is one machine to identity.rs: 1 asset, so 443/tcp twice is one finding -> 2.
        ("tenable/issue_11102.csv", 1, 2, sev(0, 2, 0, 0, 0), 1),
        // 3 rows, plugin 73756 on 2.3.4.5:1433, 2.3.4.5:5555, 1.2.3.4:1433, "Critical", no
        // CVE. Same MAC and NetBIOS WORKGROUP\ECODARCHDB on both IPs: 1 asset, 2 findings.
        ("tenable/issue_9612.csv", 1, 2, sev(2, 0, 0, 0, 0), 0),
        // 22 rows, 2 empty. Plugin 176703 spans 10 rows (one per CVE), 176705 three:
        // 9 (host, plugin, port) keys on 2 FQDNs. Risk: 3 High, 6 Medium. 18 CVEs.
        (
            "tenable/tenable_many_vuln.csv",
            2,
            9,
            sev(0, 3, 6, 0, 0),
            18,
        ),
        // 5 rows, 5 plugins, hosts 192.168.0.100 and .101. Risk 1 Critical, 1 High, 3 Medium.
        (
            "tenable/nessus/nessus-template.csv",
            2,
            5,
            sev(1, 1, 3, 0, 0),
            5,
        ),
        // 533 rows of which 529 are empty cells only; 4 plugins on 10.1.1.1 and 10.2.1.1,
        // all Severity "Medium". CVE cells: CVE-2004-2761 and "CVE-2013-2566,CVE-2015-2808".
        (
            "tenable/nessus/nessus_many_vuln.csv",
            2,
            4,
            sev(0, 0, 4, 0, 0),
            3,
        ),
        // 30 rows on 52.208.101.182, 22964 on 443/tcp twice: 29. Risk: 1 Medium, 28 None.
        (
            "tenable/nessus/nessus_many_vuln2-all.csv",
            1,
            29,
            sev(0, 0, 1, 0, 28),
            1,
        ),
        // The same scan exported with the default columns only: the same numbers.
        (
            "tenable/nessus/nessus_many_vuln2-default.csv",
            1,
            29,
            sev(0, 0, 1, 0, 28),
            1,
        ),
        // ';'-separated Tenable VM export: 99 rows, 99 asset.name values (Blah1..), each
        // with its own asset.display_fqdn, so 99 assets even where two share a MAC.
        // Finding-level "severity" is Low on every row. 38 distinct CVEs.
        (
            "tenable/nessus/nessus_new.csv",
            99,
            99,
            sev(0, 0, 0, 99, 0),
            38,
        ),
    ];
    for (rel, assets, findings, by_severity, cves) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = common::fresh(dir.path());
        let r = import(&mut ws, rel);
        assert_eq!(
            (r.assets, r.findings, r.new),
            (assets, findings, findings),
            "{rel}"
        );
        assert_eq!(r.by_severity, by_severity, "{rel}");
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM assets"),
            assets as i64,
            "{rel}"
        );
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM findings"),
            findings as i64,
            "{rel}"
        );
        assert_eq!(
            common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
            cves,
            "{rel}"
        );
        assert_eq!(
            common::scalar(
                &ws,
                "SELECT count(*) FROM vulnerabilities WHERE scanner <> 'nessus'"
            ),
            0,
            "{rel}: stored under scanner nessus"
        );
    }
}

#[test]
fn rows_that_differ_only_by_cve_are_one_finding_with_every_cve() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "tenable/tenable_many_vuln.csv");
    // Plugin 176703 "Amazon Linux 2 : mariadb (ALAS-2023-2057)": lines 3-12, one CVE each,
    // 10 distinct; CVSS 5 / CVSS3 Base Score 7.5, CVSS3 Vector AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H,
    // Risk Factor Medium, Exploit Available TRUE.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '176703'"
        ),
        1
    );
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerability_cves c JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = '176703'"
        ),
        10
    );
    let (title, cvss2, cvss3, vector, risk, exploit): (String, f64, f64, String, String, bool) = ws
        .conn()
        .query_row(
            "SELECT title, cvss2_score, cvss3_score, cvss3_vector, scanner_score, exploit_available FROM vulnerabilities WHERE scanner_id = '176703'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(title, "Amazon Linux 2 : mariadb (ALAS-2023-2057)");
    assert_eq!((cvss2, cvss3), (5.0, 7.5));
    assert_eq!(vector, "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    assert_eq!((risk.as_str(), exploit), ("Medium", true));
    // Port 0, Protocol TCP.
    assert_eq!(
        text(&ws, "SELECT DISTINCT location FROM findings").as_deref(),
        Some("0/tcp")
    );
    // Host ip-127-0-0-1.us-west-2.compute.internal: FQDN column, IP Address 127.0.0.1, OS
    // column; scanned at Host Start 2023-06-08T01:07:18.371Z.
    let asset = "(SELECT asset_id FROM asset_identifiers WHERE kind = 'fqdn' AND value = 'ip-127-0-0-1.us-west-2.compute.internal')";
    assert_eq!(
        common::scalar(
            &ws,
            &format!("SELECT count(*) FROM asset_identifiers WHERE asset_id = {asset} AND ((kind = 'ip' AND value = '127.0.0.1') OR (kind = 'hostname' AND value = 'ip-127-0-0-1'))")
        ),
        2
    );
    assert_eq!(
        text(&ws, &format!("SELECT os FROM assets WHERE id = {asset}")).as_deref(),
        Some("Linux Kernel 4.14.313-235.533.amzn2.x86_64 on Amazon Linux 2")
    );
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings").as_deref(),
        Some("2023-06-08T01:07:18.371Z")
    );
}

#[test]
fn tenable_sc_exports_name_hosts_by_ip_netbios_and_mac() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "tenable/issue_9612.csv");
    // NetBIOS Name "WORKGROUP\ECODARCHDB" is stored as the bare name, as .nessus has it;
    // MAC Address 9c:8e:99:1b:8b:dc; IP Address 2.3.4.5 and 1.2.3.4.
    let ids: Vec<String> = ws
        .conn()
        .prepare("SELECT kind || '=' || value FROM asset_identifiers ORDER BY kind, value")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        ids,
        [
            "ip=1.2.3.4",
            "ip=2.3.4.5",
            "mac=9c:8e:99:1b:8b:dc",
            "netbios=ecodarchdb"
        ]
    );
    // Last Observed "Feb 19, 2024 21:01:01 UTC" on every row.
    assert_eq!(
        text(&ws, "SELECT min(first_seen) FROM findings").as_deref(),
        Some("2024-02-19T21:01:01.000Z")
    );

    let dir2 = tempfile::tempdir().unwrap();
    let mut ws2 = common::fresh(dir2.path());
    import(&mut ws2, "tenable/nessus/nessus_many_vuln.csv");
    // Last Observed "Jan 5, 2021 10:24:08 MST" is 17:24:08 UTC.
    assert_eq!(
        text(&ws2, "SELECT min(first_seen) FROM findings").as_deref(),
        Some("2021-01-05T17:24:08.000Z")
    );
    // Plugin 65821 has CVE cell "CVE-2013-2566,CVE-2015-2808" and Exploit? "No";
    // plugin 35291 has Exploit? "Yes". "Plugin Output: " prefixes the Plugin Text cell.
    let cves: Vec<String> = ws2
        .conn()
        .prepare("SELECT c.cve FROM vulnerability_cves c JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = '65821' ORDER BY 1")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(cves, ["CVE-2013-2566", "CVE-2015-2808"]);
    assert_eq!(
        common::scalar(
            &ws2,
            "SELECT count(*) FROM vulnerabilities WHERE exploit_available"
        ),
        1
    );
    let evidence = text(&ws2, "SELECT f.evidence FROM findings_with_evidence f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '35291'").unwrap();
    assert!(
        evidence.starts_with("The following certificates were part of"),
        "{evidence}"
    );
}

#[test]
fn scores_outside_the_cvss_range_are_left_out_not_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "tenable/nessus/nessus-template.csv");
    // Plugin 42873: "CVSS v2.0 Base Score" 50, "CVSS v3.0 Base Score" 75, "EPSS Score" 3833
    // (the export lost its decimal points). Risk High, Risk Factor Medium.
    let (cvss2, cvss3, epss, sev, risk): (Option<f64>, Option<f64>, Option<f64>, String, String) =
        ws.conn()
            .query_row(
                "SELECT cvss2_score, cvss3_score, epss, severity, scanner_score FROM vulnerabilities WHERE scanner_id = '42873'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
    assert_eq!((cvss2, cvss3, epss), (None, None, None));
    assert_eq!((sev.as_str(), risk.as_str()), ("high", "Medium"));
    assert_eq!(
        text(&ws, "SELECT f.location FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '42873'").as_deref(),
        Some("3389/tcp")
    );
}

#[test]
fn tenable_vm_exports_use_the_finding_severity_and_asset_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "tenable/nessus/nessus_new.csv");
    // Plugin 85127 on Blah65: definition.severity Critical, but the finding's own
    // "severity" is Low; definition.cvss3.base_score 3.7; 14 CVEs in "CVE-2015-2590, ...".
    let (sev, cvss3): (String, f64) = ws
        .conn()
        .query_row(
            "SELECT severity, cvss3_score FROM vulnerabilities WHERE scanner_id = '85127'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((sev.as_str(), cvss3), ("low", 3.7));
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerability_cves c JOIN vulnerabilities v ON v.id = c.vulnerability_id WHERE v.scanner_id = '85127'"
        ),
        14
    );
    // asset.name Blah65, asset.display_ipv4_address 10.0.0.65, MAC 00:0d:3a:4c:3e:ae,
    // asset.operating_system "CentOS Linux 7 (Core)", last_seen 2023-07-12T11:45:16.995Z.
    let asset =
        "(SELECT asset_id FROM asset_identifiers WHERE kind = 'ip' AND value = '10.0.0.65')";
    assert_eq!(
        common::scalar(
            &ws,
            &format!("SELECT count(*) FROM asset_identifiers WHERE asset_id = {asset} AND ((kind = 'mac' AND value = '00:0d:3a:4c:3e:ae') OR (kind = 'hostname' AND value = 'blah65') OR (kind = 'fqdn' AND value = 'blah65'))")
        ),
        3
    );
    assert_eq!(
        text(&ws, &format!("SELECT os FROM assets WHERE id = {asset}")).as_deref(),
        Some("CentOS Linux 7 (Core)")
    );
    assert_eq!(
        text(
            &ws,
            &format!("SELECT first_seen FROM findings WHERE asset_id = {asset}")
        )
        .as_deref(),
        Some("2023-07-12T11:45:16.995Z")
    );
}

#[test]
fn two_exports_of_one_scan_are_the_same_findings() {
    // nessus_many_vuln2-all.csv and -default.csv hold the same 30 rows (same plugin, host,
    // port, protocol, risk); "all" has 13 more columns.
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "tenable/nessus/nessus_many_vuln2-all.csv");
    let again = import(&mut ws, "tenable/nessus/nessus_many_vuln2-default.csv");
    assert_eq!(
        (
            again.assets,
            again.findings,
            again.new,
            again.unchanged,
            again.closed
        ),
        (1, 29, 0, 29, 0)
    );
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 1);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM findings"), 29);
    // 10287 is the one udp row (port 0).
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings WHERE location = '0/udp'"
        ),
        1
    );
}

/// The corpus has no .nessus and CSV export of the same scan (no host, plugin and port is
/// in both a .nessus file and a CSV). So these CSVs are written here from
/// nessus_many_vuln.xml: ReportHost preprod.boardvantage.net (host-ip 12.233.108.201) with
/// ReportItems 19506, 54615, 45590, 11936, 12053 on 0/tcp and 11219 on 443/tcp and 264/tcp,
/// all severity 0.
fn pair_csv(layout: &str) -> String {
    let items = [
        ("19506", "0", "Nessus Scan Information"),
        ("54615", "0", "Device Type"),
        ("45590", "0", "Common Platform Enumeration (CPE)"),
        ("11936", "0", "OS Identification"),
        (
            "12053",
            "0",
            "Host Fully Qualified Domain Name (FQDN) Resolution",
        ),
        ("11219", "443", "Nessus SYN scanner"),
        ("11219", "264", "Nessus SYN scanner"),
    ];
    let mut out = String::new();
    match layout {
        "pro" => {
            out.push_str("Plugin ID,CVE,CVSS v2.0 Base Score,Risk,Host,Protocol,Port,Name,Synopsis,Description,Solution,See Also,Plugin Output\n");
            for (id, port, name) in items {
                out.push_str(&format!(
                    "\"{id}\",\"\",\"\",\"None\",\"preprod.boardvantage.net\",\"tcp\",\"{port}\",\"{name}\",\"\",\"\",\"n/a\",\"\",\"\"\n"
                ));
            }
        }
        _ => {
            out.push_str("\"Plugin\",\"Plugin Name\",\"Severity\",\"IP Address\",\"Protocol\",\"Port\",\"DNS Name\",\"NetBIOS Name\"\n");
            for (id, port, name) in items {
                out.push_str(&format!(
                    "\"{id}\",\"{name}\",\"Info\",\"12.233.108.201\",\"TCP\",\"{port}\",\"preprod.boardvantage.net\",\"\"\n"
                ));
            }
        }
    }
    out
}

#[test]
fn a_nessus_file_and_a_csv_export_of_the_same_scan_merge() {
    for layout in ["pro", "sc"] {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = common::fresh(dir.path());
        let x = import_file(
            &mut ws,
            &common::corpus("tenable/nessus/nessus_many_vuln.xml"),
            None,
        )
        .unwrap();
        assert_eq!((x.format.as_str(), x.assets, x.findings), ("nessus", 1, 7));
        let path = dir.path().join("same-scan.csv");
        std::fs::write(&path, pair_csv(layout)).unwrap();
        let c = import_file(&mut ws, &path, None).unwrap();
        assert_eq!(c.format, "nessus-csv");
        assert_eq!(
            (c.assets, c.findings, c.new, c.unchanged, c.closed),
            (1, 7, 0, 7, 0),
            "{layout}"
        );
        assert_eq!(c.by_severity, sev(0, 0, 0, 0, 7));
        assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 1);
        assert_eq!(common::scalar(&ws, "SELECT count(*) FROM findings"), 7);
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM vulnerabilities"),
            6
        );
        // And the other way round: the CSV first, then the .nessus.
        let dir = tempfile::tempdir().unwrap();
        let mut ws = common::fresh(dir.path());
        let path = dir.path().join("same-scan.csv");
        std::fs::write(&path, pair_csv(layout)).unwrap();
        import_file(&mut ws, &path, None).unwrap();
        let x = import_file(
            &mut ws,
            &common::corpus("tenable/nessus/nessus_many_vuln.xml"),
            None,
        )
        .unwrap();
        assert_eq!((x.assets, x.findings, x.new), (1, 7, 0), "{layout}");
        assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 1);
    }
}

#[test]
fn the_same_csv_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "tenable/tenable_many_vuln.csv");
    let before = common::dump(&ws);
    let again = import(&mut ws, "tenable/tenable_many_vuln.csv");
    assert_eq!((again.new, again.unchanged), (0, 9));
    assert_eq!(common::dump(&ws), before);
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
fn the_sniff_claims_tenable_csv_exports_and_nothing_else() {
    let csv = formats().iter().find(|f| f.name() == "nessus-csv").unwrap();
    let root = common::corpus("");
    let mut files = Vec::new();
    corpus_files(&root, &mut files);
    let mut claimed = Vec::new();
    for f in &files {
        if csv.sniff(&head(f)) {
            claimed.push(
                f.strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    claimed.sort();
    // Every .csv in tenable/ and tenable/nessus/; not the WAS exports, the .nessus files,
    // Qualys or OpenVAS CSVs, or any other format.
    assert_eq!(
        claimed,
        [
            "tenable/issue_11102.csv",
            "tenable/issue_9612.csv",
            "tenable/nessus/nessus-template.csv",
            "tenable/nessus/nessus_many_vuln.csv",
            "tenable/nessus/nessus_many_vuln2-all.csv",
            "tenable/nessus/nessus_many_vuln2-default.csv",
            "tenable/nessus/nessus_new.csv",
            "tenable/tenable_many_vuln.csv",
        ]
    );
    // And the .nessus sniff does not claim any of them.
    let nessus = formats().iter().find(|f| f.name() == "nessus").unwrap();
    for c in &claimed {
        assert!(!nessus.sniff(&head(&root.join(c))), "{c}");
    }
}

// ------------------------------------------------------------------------- bad input

/// A clear error naming the file and the line, and the workspace as it was.
fn refused(name: &str, bytes: &[u8], format: Option<&str>, line: &str, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import(&mut ws, "tenable/nessus/nessus-template.csv");
    common::assert_refused(ws, name, bytes, format, line, problem);
}

fn sample() -> String {
    std::fs::read_to_string(common::corpus("tenable/nessus/nessus_many_vuln2-all.csv")).unwrap()
}

#[test]
fn a_truncated_export_is_refused() {
    let s = sample();
    // Cut inside a row: the last row has fewer fields than the header.
    let cut = &s.as_bytes()[..s.len() * 2 / 3];
    refused("cut.csv", cut, None, "line ", "truncated");
    // Cut inside the quoted last field of a row: the quote never closes.
    let mut one = String::from(
        "Plugin ID,Risk,Host,Protocol,Port,Name,Plugin Output\n10107,None,10.0.0.1,tcp,80,HTTP,\"ok\"\n",
    );
    one.push_str("10108,None,10.0.0.1,tcp,443,HTTP,\"The remote web server type is :\n\nCow");
    refused("cut2.csv", one.as_bytes(), None, "line 3", "truncated");
}

#[test]
fn a_missing_required_column_is_named() {
    // No Port column: still recognised by its Plugin ID / Risk / Host header.
    let s = sample().replacen(",Port,", ",Where,", 1);
    refused("noport.csv", s.as_bytes(), None, "line 1", "no port column");
    // No Plugin ID column: not recognisable, so named explicitly with --format.
    let s = sample().replacen("Plugin ID,", "Id,", 1);
    refused(
        "noplugin.csv",
        s.as_bytes(),
        Some("nessus-csv"),
        "line 1",
        "no plugin id column",
    );
    refused(
        "noplugin2.csv",
        s.as_bytes(),
        None,
        "byte 0",
        "not a report format",
    );
    // No severity column at all.
    let s = "Plugin ID,Host,Protocol,Port\n1,h,tcp,0\n";
    refused(
        "nosev.csv",
        s.as_bytes(),
        None,
        "line 1",
        "no severity column",
    );
}

#[test]
fn bad_values_are_refused_with_their_line() {
    let head = "Plugin ID,Risk,Host,Protocol,Port,Name\n10107,None,10.0.0.1,tcp,80,a\n";
    refused(
        "sev.csv",
        format!("{head}10108,Severe,10.0.0.1,tcp,80,b\n").as_bytes(),
        None,
        "line 3",
        "severity \"Severe\"",
    );
    refused(
        "port.csv",
        format!("{head}10108,Low,10.0.0.1,tcp,http,b\n").as_bytes(),
        None,
        "line 3",
        "port \"http\"",
    );
    refused(
        "plugin.csv",
        format!("{head}x1,Low,10.0.0.1,tcp,80,b\n").as_bytes(),
        None,
        "line 3",
        "plugin id \"x1\"",
    );
    refused(
        "nohost.csv",
        format!("{head}10108,Low,,tcp,80,b\n").as_bytes(),
        None,
        "line 3",
        "no host",
    );
    let mut latin = format!("{head}10108,Low,10.0.0.1,tcp,80,caf").into_bytes();
    latin.extend_from_slice(&[0xE9, b'\n']);
    refused("latin.csv", &latin, None, "line 3", "invalid UTF-8");
}

#[test]
fn fixed_rows_and_empty_rows_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let doc = "definition.id;asset.name;port;protocol;severity;state;definition.cve\n\
               1;web1.example.org;443;TCP;High;ACTIVE;CVE-2020-0001\n\
               ;;;;;;\n\
               2;web1.example.org;443;TCP;Critical;FIXED;\n\
               1;web1.example.org;8443;TCP;High;RESURFACED;CVE-2020-0001, CVE-2020-0002\n";
    let path = dir.path().join("vm.csv");
    std::fs::write(&path, doc).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!(r.format, "nessus-csv");
    assert_eq!((r.assets, r.findings), (1, 2));
    assert_eq!(r.by_severity, sev(0, 2, 0, 0, 0));
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE scanner_id = '2'"
        ),
        0
    );
    // Plugin 1's CVEs from both of its rows on this host.
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves"),
        2
    );
}
