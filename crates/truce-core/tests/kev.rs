//! CISA's KEV catalog flags known exploited vulnerabilities, whichever comes first: the catalog or
//! the scan. Expected numbers read from the files (xml.etree): Qualys_Sample_Report.xml lists
//! CVE-2014-6271 under QID 13038 (1 finding), CVE-2014-0160 under 42430 (2), CVE-2017-0143/0144
//! under 91345 (2) and CVE-2019-0708 under 91541 (1); the catalog sample has those five CVEs and
//! Log4Shell.

mod common;

use std::path::PathBuf;

use chrono::Utc;
use truce_core::ingest::import_file;
use truce_core::{kev, Workspace};

fn catalog() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/kev/known_exploited_vulnerabilities.json")
        .display()
        .to_string()
}

/// The Qualys sample: hosts with Heartbleed, Shellshock, BlueKeep and MS17-010 among others.
fn import_qualys(ws: &mut truce_core::Workspace) {
    import_file(ws, &common::corpus("qualys/Qualys_Sample_Report.xml"), None).unwrap();
}

const FLAGGED_FINDINGS: &str = "SELECT count(*) FROM findings f JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.known_exploited";

#[test]
fn the_catalog_flags_heartbleed_shellshock_bluekeep_and_ms17_010_already_imported() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_qualys(&mut ws);
    assert_eq!(
        common::scalar(&ws, FLAGGED_FINDINGS),
        0,
        "Qualys says nothing of KEV"
    );
    let r = kev::import(&mut ws, &catalog(), Utc::now()).unwrap();
    assert_eq!(
        (r.version.as_str(), r.entries, r.flagged),
        ("2026.12.01", 6, 4)
    );
    let flagged = common::texts(
        &ws,
        "SELECT scanner_id FROM vulnerabilities WHERE known_exploited ORDER BY scanner_id",
    );
    assert_eq!(flagged, ["13038", "42430", "91345", "91541"]);
    assert_eq!(common::scalar(&ws, FLAGGED_FINDINGS), 1 + 2 + 2 + 1);
    // Each flag is a recorded change, naming the CVE that caused it.
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM change_log WHERE entity = 'vulnerability' AND field = 'known_exploited' AND reason LIKE 'CVE-% is in CISA''s KEV catalog'"),
        4
    );
    // Reading it again flags nothing new.
    assert_eq!(
        kev::import(&mut ws, &catalog(), Utc::now())
            .unwrap()
            .flagged,
        0
    );
    // The Heartbleed item's card and its findings say so.
    truce_core::planning::regroup(&mut ws).unwrap();
    let item = common::text(
        &ws,
        "SELECT w.work_item_id FROM work_item_findings w JOIN findings f ON f.id = w.finding_id
         JOIN vulnerabilities v ON v.id = f.vulnerability_id WHERE v.scanner_id = '42430' LIMIT 1",
    );
    let d = truce_core::planning::item_detail(ws.conn(), &item, Utc::now()).unwrap();
    assert!(d.item.known_exploited);
    let heartbleed: Vec<_> = d
        .findings
        .iter()
        .filter(|f| f.title.contains("Heartbleed"))
        .collect();
    assert_eq!(heartbleed.len(), 2);
    assert!(heartbleed.iter().all(|f| f.known_exploited));
}

#[test]
fn a_scan_imported_after_the_catalog_is_flagged_as_it_lands() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    assert_eq!(
        kev::import(&mut ws, &catalog(), Utc::now())
            .unwrap()
            .flagged,
        0
    );
    import_qualys(&mut ws);
    assert_eq!(common::scalar(&ws, FLAGGED_FINDINGS), 6);
    let (version, _, entries, _, _) = kev::status(ws.conn()).unwrap().unwrap();
    assert_eq!((version.as_str(), entries), ("2026.12.01", 6));
}

#[test]
fn a_file_that_is_not_the_catalog_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_qualys(&mut ws);
    let before = common::dump(&ws);
    let bad = dir.path().join("kev.json");
    for (bytes, problem) in [
        (&br#"{"catalogVersion": "1", "dateReleased": "x", "vulnerabilities": [{"cveID": "GHSA-1", "dateAdded": "2022-01-01"}]}"#[..], "not a CVE id"),
        (&br#"{"catalogVersion": "1", "dateReleased": "x", "vulnerabilities": [{"cveID": "CVE-2014-0160""#[..], "truncated JSON"),
        (&br#"{"title": "something else"}"#[..], "missing field"),
    ] {
        std::fs::write(&bad, bytes).unwrap();
        let e = kev::import(&mut ws, bad.to_str().unwrap(), Utc::now()).unwrap_err().to_string();
        assert!(e.contains("kev.json") && e.contains(problem), "{e}");
        assert_eq!(common::dump(&ws), before, "{problem}: the workspace is as it was");
    }
    // A file far larger than any catalog is refused by its size, before it is read whole.
    let huge = std::fs::File::create(&bad).unwrap();
    huge.set_len(64 << 20).unwrap();
    let e = kev::import(&mut ws, bad.to_str().unwrap(), Utc::now())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("kev.json") && e.contains("read up to 16 MiB"),
        "{e}"
    );
    assert_eq!(common::dump(&ws), before);
    let _ = Workspace::open_existing(ws.path()).unwrap();
}

/// CISA's feed as a local server replays it: the catalog at a URL, and a 404 elsewhere.
fn serve_catalog() -> String {
    use std::io::{Read, Write};
    let body = std::fs::read(catalog()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        // Bounded: the test makes two requests.
        for stream in listener.incoming().take(2) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            if req.starts_with("GET /feeds/known_exploited_vulnerabilities.json ") {
                let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                let _ = s.write_all(&body);
            } else {
                let _ = write!(
                    s,
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        }
    });
    format!("http://{addr}")
}

#[test]
fn the_catalog_is_read_from_its_url_and_a_missing_feed_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    import_qualys(&mut ws);
    let base = serve_catalog();
    let before = common::dump(&ws);
    let e = kev::import(&mut ws, &format!("{base}/feeds/gone.json"), Utc::now())
        .unwrap_err()
        .to_string();
    assert!(e.contains("/feeds/gone.json") && e.contains("404"), "{e}");
    assert_eq!(
        common::dump(&ws),
        before,
        "a failed download changes nothing"
    );
    let r = kev::import(
        &mut ws,
        &format!("{base}/feeds/known_exploited_vulnerabilities.json"),
        Utc::now(),
    )
    .unwrap();
    assert_eq!((r.entries, r.flagged), (6, 4));
    let (_, _, _, source, _) = kev::status(ws.conn()).unwrap().unwrap();
    assert!(
        source.ends_with("/feeds/known_exploited_vulnerabilities.json"),
        "{source}"
    );
}
