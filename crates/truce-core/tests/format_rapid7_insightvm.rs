//! Importing pages of Rapid7 InsightVM assets as the InsightVM source hands them over
//! (tests/corpus/scans/rapid7/insightvm-api, see its README): hosts by their names, addresses and
//! MAC, a finding per vulnerability and vulnerable result's port, keyed as the XML export keys
//! them; a result under an exception stays open; a later page of the same assets closes what
//! InsightVM no longer reports on them. Expected values are read from the JSON files.

mod common;

use serde_json::{json, Value};
use truce_core::ingest::import_file;

fn corpus(name: &str) -> Value {
    let text = std::fs::read(common::corpus(&format!("rapid7/insightvm-api/{name}"))).unwrap();
    serde_json::from_slice(&text).unwrap()
}

/// The page the source hands over for `ids` (docs/formats/rapid7-insightvm.md), with the
/// findings of `findings` and, when given, each asset's rescan added to its history.
fn page(dir: &std::path::Path, ids: &[i64], findings: &str, rescanned: bool) -> std::path::PathBuf {
    let assets = corpus("assets.json");
    let found = corpus(findings);
    let later = corpus("assets-later-history.json");
    let defs = corpus("vulnerabilities.json");
    let mut entries = Vec::new();
    let mut named = serde_json::Map::new();
    for a in assets.as_array().unwrap() {
        let id = a["id"].as_i64().unwrap();
        if !ids.contains(&id) {
            continue;
        }
        let mut a = a.clone();
        if rescanned {
            a["history"]
                .as_array_mut()
                .unwrap()
                .push(json!({"date": later[id.to_string()], "type": "SCAN", "scanId": 950}));
        }
        let f = found[id.to_string()].clone();
        for x in f.as_array().unwrap() {
            let vid = x["id"].as_str().unwrap();
            named.insert(vid.to_string(), defs[vid].clone());
        }
        entries.push(json!({"asset": a, "findings": f}));
    }
    let path = dir.join(format!("page-{findings}-{}.json", ids.len()));
    std::fs::write(
        &path,
        serde_json::to_vec(&json!({"insightvm": {"assets": entries, "vulnerabilities": named}}))
            .unwrap(),
    )
    .unwrap();
    path
}

#[test]
fn a_page_lands_each_vulnerable_result_where_insightvm_found_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let r = import_file(
        &mut ws,
        &page(dir.path(), &[282, 283, 284], "findings.json", false),
        None,
    )
    .unwrap();
    assert_eq!(r.format, "rapid7-insightvm", "detected without --format");
    // 282: the OS finding, the certificate on two ports, the expired one under an exception;
    // 283: OpenSSH (the timestamp check was not vulnerable). Three assets, app-2 without findings.
    assert_eq!((r.assets, r.findings, r.new), (3, 5, 5), "{r:?}");
    assert_eq!(
        common::status_at(&ws, "ws-1", "msft-cve-2024-38063", "0/tcp"),
        ["open"]
    );
    assert_eq!(
        common::status_at(
            &ws,
            "10.20.30.40",
            "ssl-self-signed-certificate",
            "3389/tcp"
        ),
        ["open"]
    );
    assert_eq!(
        common::status_at(
            &ws,
            "ws-1.acme.com",
            "ssl-self-signed-certificate",
            "443/tcp"
        ),
        ["open"]
    );
    assert_eq!(
        common::status_at(&ws, "ws-1", "tls-server-cert-expired", "443/tcp"),
        ["open"]
    );
    assert_eq!(
        common::status_at(&ws, "db-1", "openssh-cve-2023-38408", "22/tcp"),
        ["open"]
    );
    assert!(common::status_at(&ws, "db-1", "generic-tcp-timestamp", "22/tcp").is_empty());
    let (scanner, severity, title, cves, cvss3, exploit): (String, String, String, String, f64, bool) = ws
        .conn()
        .query_row(
            "SELECT v.scanner, v.severity, v.title,
                    (SELECT group_concat(cve) FROM vulnerability_cves c WHERE c.vulnerability_id = v.id),
                    v.cvss3_score, v.exploit_available
             FROM vulnerabilities v WHERE v.scanner_id = 'msft-cve-2024-38063'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(
        (
            scanner.as_str(),
            severity.as_str(),
            cves.as_str(),
            cvss3,
            exploit
        ),
        ("nexpose", "critical", "CVE-2024-38063", 9.8, true)
    );
    assert_eq!(
        title,
        "Microsoft CVE-2024-38063: Windows TCP/IP Remote Code Execution Vulnerability"
    );
    // severityScore 4 is medium, as the XML export's 0-10 scale says.
    let medium: String = ws
        .conn()
        .query_row(
            "SELECT severity FROM vulnerabilities WHERE scanner_id = 'ssl-self-signed-certificate'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(medium, "medium");
    let keys: Vec<String> = ws
        .conn()
        .prepare(
            "SELECT kind || '=' || value FROM asset_identifiers WHERE asset_id =
               (SELECT asset_id FROM asset_identifiers WHERE value = '10.20.30.40')
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
            "cloud_id=insightvm:282",
            "fqdn=ws-1.acme.com",
            "hostname=ws-1",
            "ip=10.20.30.40",
            "mac=ab:12:cd:34:ef:56"
        ]
    );
}

#[test]
fn a_later_page_closes_on_its_assets_what_insightvm_no_longer_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_file(
        &mut ws,
        &page(dir.path(), &[282, 283, 284], "findings.json", false),
        None,
    )
    .unwrap();
    // The rescan's first page holds 282 and 283 only: nothing is closed on 284, not covered.
    let r = import_file(
        &mut ws,
        &page(dir.path(), &[282, 283], "findings-later.json", true),
        None,
    )
    .unwrap();
    assert_eq!((r.closed, r.new), (2, 0), "{r:?}");
    assert_eq!(
        common::status_at(&ws, "ws-1", "msft-cve-2024-38063", "0/tcp"),
        ["fixed"]
    );
    assert_eq!(
        common::status_at(&ws, "ws-1", "ssl-self-signed-certificate", "443/tcp"),
        ["fixed"]
    );
    assert_eq!(
        common::status_at(&ws, "ws-1", "ssl-self-signed-certificate", "3389/tcp"),
        ["open"]
    );
    assert_eq!(
        common::status_at(&ws, "ws-1", "tls-server-cert-expired", "443/tcp"),
        ["open"],
        "an exception is not a fix"
    );
    assert_eq!(
        common::status_at(&ws, "db-1", "openssh-cve-2023-38408", "22/tcp"),
        ["open"]
    );
    let r = import_file(
        &mut ws,
        &page(dir.path(), &[284], "findings-later.json", true),
        None,
    )
    .unwrap();
    assert_eq!((r.new, r.closed), (1, 0), "{r:?}");
    assert_eq!(
        common::status_at(&ws, "app-2", "apache-httpd-cve-2021-41773", "80/tcp"),
        ["open"]
    );
}

#[test]
fn a_page_insightvm_does_not_write_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    let good =
        std::fs::read_to_string(page(dir.path(), &[282, 283], "findings.json", false)).unwrap();
    let before = common::dump(&ws);
    for (bad, said) in [
        (good.replacen("\"id\":282", "\"id\":\"x\"", 1), "bad.json"),
        (good[..good.len() / 2].to_string(), "bad.json"),
        (
            // db-1 without its addresses and names: nothing to know it by.
            good.replace("10.20.30.41", "").replace("db-1.acme.com", ""),
            "no address and no host name",
        ),
    ] {
        let path = dir.path().join("bad.json");
        std::fs::write(&path, bad).unwrap();
        let e = import_file(&mut ws, &path, Some("rapid7-insightvm")).unwrap_err();
        assert!(e.to_string().contains(said), "{e}");
        assert_eq!(common::dump(&ws), before, "nothing kept");
    }
}
