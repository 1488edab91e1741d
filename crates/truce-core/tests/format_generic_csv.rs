//! Generic CSV exports read through a saved column mapping, on the OpenVAS CSV exports of the
//! corpus (no built-in format reads them). Every expected number was derived from the files by
//! tests/derive/generic_csv_openvas.py (Python csv module, no code shared with the importer),
//! under the mapping `openvas_mapping()` saves: id = NVT OID, ip = IP, hostname = Hostname,
//! port/protocol = Port/Port Protocol, severity = Severity (+ Log = info), cvss = CVSS,
//! cve = CVEs, seen = Timestamp.

#![allow(clippy::type_complexity)] // row tuples read straight from SQL

mod common;

use truce_core::csv_mapping::{self, Mapping};
use truce_core::ingest::{choose_format_in, import_file, Chosen};
use truce_core::model::{ImportReport, Severity, SeverityCounts};
use truce_core::{Error, Workspace};

fn sev(critical: u32, high: u32, medium: u32, low: u32, info: u32) -> SeverityCounts {
    SeverityCounts {
        critical,
        high,
        medium,
        low,
        info,
    }
}

fn openvas_mapping(log_is_info: bool) -> Mapping {
    let col = |c: &str| Some(c.to_string());
    Mapping {
        // Mixed case on purpose: columns are matched case-insensitively.
        id: "NVT OID".into(),
        ip: col("IP"),
        hostname: col("hostname"),
        port: col("Port"),
        protocol: col("Port Protocol"),
        severity: col("Severity"),
        cvss: col("CVSS"),
        title: col("NVT Name"),
        cve: col("CVEs"),
        solution: col("Solution"),
        description: col("Summary"),
        seen: col("Timestamp"),
        severity_values: if log_is_info {
            [("Log".to_string(), Severity::Info)].into()
        } else {
            Default::default()
        },
        ..Mapping::default()
    }
}

fn header_line(rel: &str) -> String {
    let text = std::fs::read_to_string(common::corpus(rel)).unwrap();
    text.lines().next().unwrap().to_string()
}

fn save(ws: &mut Workspace, name: &str, from: &str, log_is_info: bool) {
    csv_mapping::save(ws, name, &openvas_mapping(log_is_info), &header_line(from)).unwrap();
}

fn import(ws: &mut Workspace, rel: &str, format: Option<&str>) -> ImportReport {
    import_file(ws, &common::corpus(rel), format).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn openvas_csv_exports_import_through_saved_mappings_with_the_derived_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    // Two header variants: 25 columns (many_vuln, one_vuln, no_vuln) and 26 with QoD
    // (report_combine_v2, report_using_CVE, report_using_openVAS): one mapping each.
    save(&mut ws, "openvas", "openvas/many_vuln.csv", true);
    save(
        &mut ws,
        "openvas-qod",
        "openvas/report_using_openVAS.csv",
        true,
    );

    // (file, --format, format shown, assets, findings, new, closed, by severity, CVEs in the file)
    let cases = [
        // 4 rows on 192.168.118.212/LOGSRV: 80091 with no port ("-"), 106223, 117274 and
        // 103240 on 9200/tcp. Severity Low, Medium, Medium, High. CVEs of 117274:
        // CVE-2011-3389, CVE-2015-0204.
        (
            "openvas/many_vuln.csv",
            None,
            "csv:openvas",
            1,
            4,
            4,
            0,
            sev(0, 1, 2, 1, 0),
            2,
        ),
        // 1 row, 10.0.0.8 22/tcp Medium.
        (
            "openvas/one_vuln.csv",
            None,
            "csv:openvas",
            1,
            1,
            1,
            0,
            sev(0, 0, 1, 0, 0),
            0,
        ),
        // The header only: detected, nothing in it.
        (
            "openvas/no_vuln.csv",
            None,
            "csv:openvas",
            0,
            0,
            0,
            0,
            sev(0, 0, 0, 0, 0),
            0,
        ),
        // 2 identical rows (80091 on 45.33.32.156, no port, Low): 1 finding.
        (
            "openvas/report_combine_v2.csv",
            None,
            "csv:openvas-qod",
            1,
            1,
            1,
            0,
            sev(0, 0, 0, 1, 0),
            0,
        ),
        // 43 rows on 45.33.32.156, NVT OID is a CVE id, 43 distinct, no port. 21 High, 22
        // Medium. Scanned 21:29:42, after report_combine_v2 (12:46:31) by the same mapping's
        // scanner, without 80091: that finding closes.
        (
            "openvas/report_using_CVE.csv",
            None,
            "csv:openvas-qod",
            1,
            43,
            43,
            1,
            sev(0, 21, 22, 0, 0),
            0,
        ),
        // 13 rows on 45.33.32.156: 10330 on 443/tcp and 80/tcp are two findings. 1 Low
        // (80091, already known and closed by a later scan: stays closed, unchanged), 12 Log.
        // Scanned before report_using_CVE, so it closes nothing.
        (
            "openvas/report_using_openVAS.csv",
            None,
            "csv:openvas-qod",
            1,
            13,
            12,
            0,
            sev(0, 0, 0, 1, 12),
            0,
        ),
        // 28 columns, a superset of the 25: read with the 25-column mapping by name. One row,
        // server99 42/tcp, High, 93 CVEs in one cell.
        (
            "openvas/report_detail_v2.csv",
            Some("csv:openvas"),
            "csv:openvas",
            1,
            1,
            1,
            0,
            sev(0, 1, 0, 0, 0),
            93,
        ),
    ];
    for (rel, format, shown, assets, findings, new, closed, by_severity, _cves) in cases {
        let r = import(&mut ws, rel, format);
        assert_eq!(r.format, shown, "{rel}");
        assert_eq!(
            (r.assets, r.findings, r.new, r.closed, r.reopened),
            (assets, findings, new, closed, 0),
            "{rel}"
        );
        assert_eq!(r.by_severity, by_severity, "{rel}");
    }
    // The workspace (derive script, last line): 4 assets (LOGSRV, 10.0.0.8, 45.33.32.156,
    // server99), 62 findings of which 61 open (80091 on 45.33.32.156 closed), 95 distinct CVEs
    // (2 + 93), every CVE id of the files' CVEs cells.
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM assets"), 4);
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM findings"), 62);
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM findings WHERE status = 'open'"),
        61
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(DISTINCT cve) FROM vulnerability_cves"),
        95
    );
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM vulnerabilities WHERE scanner NOT IN ('csv:openvas', 'csv:openvas-qod')"
        ),
        0
    );
    // LOGSRV is known by name and address.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM asset_identifiers WHERE (kind, value) IN (VALUES ('hostname', 'logsrv'), ('ip', '192.168.118.212'))"
        ),
        2
    );
    // 117274 carries both CVEs, its CVSS 4.3 and the location of its port.
    let (score, location): (f64, String) = ws
        .conn()
        .query_row(
            "SELECT v.cvss3_score, f.location FROM vulnerabilities v JOIN findings f ON f.vulnerability_id = v.id
             WHERE v.scanner_id = '1.3.6.1.4.1.25623.1.0.117274'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((score, location.as_str()), (4.3, "9200/tcp"));
    // server99's scan time is 2025-08-22T16:27:22+02:00, stored in UTC.
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM imports WHERE scanned_at = '2025-08-22T14:27:22.000Z' AND format = 'csv:openvas'"
        ),
        1
    );
}

#[test]
fn detection_needs_the_same_header_and_no_built_in_claim() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let head = std::fs::read(common::corpus("openvas/many_vuln.csv")).unwrap();
    let chosen =
        |ws: &Workspace, head: &[u8]| match choose_format_in(ws.conn(), "f.csv", None, head) {
            Ok(Chosen::Mapped(g)) => Ok(truce_core::ingest::Format::name(&*g).to_string()),
            Ok(Chosen::Builtin(f)) => Ok(f.name().to_string()),
            Err(e) => Err(e.to_string()),
        };
    // Nothing saved: the usual error, naming the file, with the hint.
    let e = chosen(&ws, &head).unwrap_err();
    assert!(
        e.starts_with("f.csv: byte 0: not a report format Truce reads"),
        "{e}"
    );
    assert!(
        e.contains("save a column mapping with `truce mapping save`"),
        "{e}"
    );
    save(&mut ws, "openvas", "openvas/many_vuln.csv", true);
    assert_eq!(chosen(&ws, &head).unwrap(), "csv:openvas");
    // Trimmed, case-insensitive header comparison; ';' works as well as ','.
    let shouty = b" IP ;HOSTNAME;Port;Port Protocol;CVSS;Severity;Solution Type;NVT Name;Summary;Specific Result;NVT OID;CVEs;Task ID;Task Name;Timestamp;Result ID;Impact;Solution;Affected Software/OS;Vulnerability Insight;Vulnerability Detection Method;Product Detection Result;BIDs;CERTs;Other References\n";
    assert_eq!(chosen(&ws, shouty).unwrap(), "csv:openvas");
    // Another header (26 columns) is not this mapping's.
    let qod = std::fs::read(common::corpus("openvas/report_combine_v2.csv")).unwrap();
    assert!(chosen(&ws, &qod)
        .unwrap_err()
        .contains("truce mapping save"));
    // A file a built-in format reads stays that format even under a mapping of its header.
    let nessus_csv = common::corpus("tenable/nessus/nessus-template.csv");
    let nessus_head = std::fs::read(&nessus_csv).unwrap();
    let line = String::from_utf8_lossy(&nessus_head)
        .lines()
        .next()
        .unwrap()
        .to_string();
    let m = Mapping {
        id: "Plugin ID".into(),
        ip: Some("Host".into()),
        ..Mapping::default()
    };
    csv_mapping::save(&mut ws, "tenable", &m, &line).unwrap();
    assert_eq!(chosen(&ws, &nessus_head).unwrap(), "nessus-csv");
    // Not CSV at all: no hint.
    let e = chosen(&ws, b"hello world\n").unwrap_err();
    assert!(!e.contains("mapping"), "{e}");
    // A forced mapping that does not exist names the saved ones.
    let e = choose_format_in(ws.conn(), "f.csv", Some("csv:nope"), &head)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("no column mapping named 'nope' (saved: openvas, tenable)"),
        "{e}"
    );
}

#[test]
fn a_rescan_of_a_mapped_csv_closes_what_it_no_longer_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    save(&mut ws, "openvas", "openvas/many_vuln.csv", true);
    let first = import(&mut ws, "openvas/many_vuln.csv", None);
    assert_eq!((first.findings, first.new), (4, 4));
    // many_vuln.csv without its last row (line 66: 103240 on 9200/tcp, High), a month later.
    let text = std::fs::read_to_string(common::corpus("openvas/many_vuln.csv")).unwrap();
    let last = text
        .find("192.168.118.212,LOGSRV,9200,tcp,9.0,High")
        .expect("the last row");
    let rescan = text[..last].replace("2021-05-26T20:50:18Z", "2021-06-26T20:50:18Z");
    let path = dir.path().join("many_vuln-rescan.csv");
    std::fs::write(&path, rescan).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!(r.format, "csv:openvas");
    assert_eq!(
        (r.findings, r.new, r.unchanged, r.closed, r.reopened),
        (3, 0, 3, 1, 0)
    );
    assert_eq!(
        common::scalar(
            &ws,
            "SELECT count(*) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id
             WHERE f.status = 'fixed' AND v.scanner_id = '1.3.6.1.4.1.25623.1.0.103240'"
        ),
        1
    );
}

fn bad_input(e: Error) -> (String, String, String) {
    match e {
        Error::BadInput {
            file,
            position,
            problem,
        } => (file, position, problem),
        other => panic!("expected BadInput, got {other}"),
    }
}

#[test]
fn bad_files_name_the_line_and_leave_the_workspace_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    save(&mut ws, "openvas", "openvas/many_vuln.csv", true);
    save(&mut ws, "strict", "openvas/report_using_openVAS.csv", false);
    import(&mut ws, "openvas/one_vuln.csv", None);
    let before = common::dump(&ws);

    // A row with fewer fields than the header.
    let header = header_line("openvas/many_vuln.csv");
    let short = dir.path().join("short.csv");
    std::fs::write(
        &short,
        format!("{header}\n10.0.0.9,,22,tcp,4.3,Medium,Mitigation,Weak SSH,x,y,1.2.3,,t,t,2021-02-25T20:01:27Z,r,i,s,a,v,m,p,b,c,o\n10.0.0.9,,22,tcp,4.3,Medium\n"),
    )
    .unwrap();
    let (file, position, problem) = bad_input(import_file(&mut ws, &short, None).unwrap_err());
    assert!(file.ends_with("short.csv"));
    assert_eq!(position, "line 3");
    assert_eq!(
        problem,
        "the row has 6 fields, the header has 25 (truncated?)"
    );

    // A file cut inside a quoted field (many_vuln.csv's first 1000 bytes).
    let cut = dir.path().join("cut.csv");
    let bytes = std::fs::read(common::corpus("openvas/many_vuln.csv")).unwrap();
    std::fs::write(&cut, &bytes[..1000]).unwrap();
    let (_, _, problem) = bad_input(import_file(&mut ws, &cut, None).unwrap_err());
    assert!(problem.contains("truncated"), "{problem}");

    // A severity the mapping cannot place: mapping 'strict' has no Log = info, and the first
    // Log row of report_using_openVAS.csv starts on line 30 (derive script).
    let (file, position, problem) = bad_input(
        import_file(
            &mut ws,
            &common::corpus("openvas/report_using_openVAS.csv"),
            Some("csv:strict"),
        )
        .unwrap_err(),
    );
    assert!(file.ends_with("report_using_openVAS.csv"));
    assert_eq!(position, "line 30");
    assert!(
        problem.starts_with("severity \"Log\" ('severity') is not one Truce knows"),
        "{problem}"
    );
    assert!(problem.contains("--severity-value 'Log=high'"), "{problem}");

    // A forced mapping whose columns the file lacks.
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "host,plugin,risk\nweb01,1,high\n").unwrap();
    let (_, position, problem) =
        bad_input(import_file(&mut ws, &other, Some("csv:openvas")).unwrap_err());
    assert_eq!(position, "line 1");
    assert!(
        problem.starts_with("column mapping 'openvas' needs id column 'nvt oid', hostname column 'hostname', ip column 'ip'"),
        "{problem}"
    );
    assert!(
        problem.ends_with("(its columns: host, plugin, risk)"),
        "{problem}"
    );

    // A row with no asset at all.
    let nobody = dir.path().join("nobody.csv");
    std::fs::write(
        &nobody,
        format!("{header}\n,,22,tcp,4.3,Medium,Mitigation,Weak SSH,x,y,1.2.3,,t,t,2021-02-25T20:01:27Z,r,i,s,a,v,m,p,b,c,o\n"),
    )
    .unwrap();
    let (_, position, problem) = bad_input(import_file(&mut ws, &nobody, None).unwrap_err());
    assert_eq!(position, "line 2");
    assert_eq!(problem, "no asset: the hostname, ip cells are all empty");

    assert_eq!(common::dump(&ws), before, "the workspace is as it was");
}

#[test]
fn a_mapping_must_name_columns_of_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let before = common::dump(&ws);
    let header = header_line("openvas/many_vuln.csv");
    let with = |f: &dyn Fn(&mut Mapping)| {
        let mut m = openvas_mapping(true);
        f(&mut m);
        m
    };
    let err = |ws: &mut Workspace, name: &str, m: &Mapping| {
        csv_mapping::save(ws, name, m, &header)
            .unwrap_err()
            .to_string()
    };
    let e = err(&mut ws, "x", &with(&|m| m.cve = Some("CVE list".into())));
    assert!(
        e.starts_with("the header has no cve column 'cve list' (its columns: ip, hostname, port, port protocol, cvss"),
        "{e}"
    );
    let e = err(&mut ws, "x", &with(&|m| m.id = " ".into()));
    assert!(e.contains("no vulnerability id column"), "{e}");
    let e = err(
        &mut ws,
        "x",
        &with(&|m| {
            m.ip = None;
            m.hostname = None
        }),
    );
    assert!(e.contains("no asset column"), "{e}");
    let e = err(&mut ws, "a b", &openvas_mapping(true));
    assert!(e.contains("is not a mapping name"), "{e}");
    assert_eq!(common::dump(&ws), before, "nothing saved");
}

#[test]
fn saving_replacing_and_deleting_mappings_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    drop(common::fresh(dir.path()));
    // One instant for both saves: the replacement changes the mapping, not its time.
    let at = chrono::DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
        .unwrap()
        .to_utc();
    let mut ws = common::open_at(&dir.path().join("w.truce"), at);
    let header = header_line("openvas/many_vuln.csv");
    csv_mapping::save(&mut ws, "openvas", &openvas_mapping(false), &header).unwrap();
    let saved = csv_mapping::save(&mut ws, "openvas", &openvas_mapping(true), &header).unwrap();
    assert_eq!(saved.mapping.id, "nvt oid");
    assert_eq!(saved.mapping.severity_values["log"], Severity::Info);
    assert_eq!(saved.header.len(), 25);
    let all = csv_mapping::list(ws.conn()).unwrap();
    assert_eq!(all, vec![saved.clone()]);
    csv_mapping::delete(&mut ws, "openvas").unwrap();
    assert!(csv_mapping::list(ws.conn()).unwrap().is_empty());
    assert!(csv_mapping::delete(&mut ws, "openvas").is_err());
    let log: Vec<(String, Option<String>, Option<String>)> = ws
        .conn()
        .prepare("SELECT field, old_value, new_value FROM change_log WHERE entity = 'csv_mapping' AND entity_id = 'openvas' ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let fields: Vec<&str> = log.iter().map(|(f, _, _)| f.as_str()).collect();
    assert_eq!(fields, ["created", "mapping", "deleted"]);
    assert!(log[0].1.is_none() && log[2].2.is_none());
    assert!(log[1].2.as_deref().unwrap().contains("\"log\":\"info\""));
}

#[test]
fn package_style_identity_and_cvss_only_severity() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let path = dir.path().join("deps.csv");
    std::fs::write(
        &path,
        "Image;Rule;Pkg;Installed;Fix;Score;Vector;CVE\n\
         alpine:3.19;R1;openssl;3.1.0;3.1.4;9.8;CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H;CVE-2023-0001 CVE-2023-0002\n\
         alpine:3.19;R1;openssl;3.1.0;3.1.4;9.8;CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H;CVE-2023-0003\n\
         alpine:3.19;R2;zlib;1.2;;5.0;AV:N/AC:L/Au:N/C:P/I:N/A:N;\n\
         alpine:3.19;R3;musl;1.0;;0;;\n",
    )
    .unwrap();
    let m = Mapping {
        id: "rule".into(),
        artifact: Some("image".into()),
        package: Some("pkg".into()),
        version: Some("installed".into()),
        fixed_version: Some("fix".into()),
        cvss: Some("score".into()),
        cvss_vector: Some("vector".into()),
        cve: Some("cve".into()),
        scanner: Some("my-scanner".into()),
        ..Mapping::default()
    };
    let line = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    csv_mapping::save(&mut ws, "deps", &m, &line).unwrap();
    let r = import_file(&mut ws, &path, None).unwrap();
    assert_eq!(r.format, "csv:deps");
    // R1 twice on openssl@3.1.0 is one finding; 9.8 critical, 5.0 medium, 0 info.
    assert_eq!((r.assets, r.findings), (1, 3));
    assert_eq!(r.by_severity, sev(1, 0, 1, 0, 1));
    let rows: Vec<(String, String, Option<f64>, Option<f64>, Option<String>)> = ws
        .conn()
        .prepare("SELECT v.scanner_id, f.location, v.cvss2_score, v.cvss3_score, v.fixed_version FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner = 'my-scanner' ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                "R1".into(),
                "openssl@3.1.0".into(),
                None,
                Some(9.8),
                Some("3.1.4".into())
            ),
            ("R2".into(), "zlib@1.2".into(), Some(5.0), None, None),
            ("R3".into(), "musl@1.0".into(), None, Some(0.0), None),
        ]
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM vulnerability_cves"),
        3
    );
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM asset_identifiers WHERE kind = 'artifact' AND value = 'alpine:3.19'"),
        1
    );
}
