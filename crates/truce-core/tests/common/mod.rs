#![allow(dead_code)]
use std::path::{Path, PathBuf};

use truce_core::Workspace;

/// `tests/corpus/scans/...` of the repository (real reports, with their licenses).
pub fn corpus(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpus/scans")
        .join(rel);
    assert!(
        p.exists(),
        "corpus file missing: {} (tests/corpus/ holds the samples the tests read)",
        p.display()
    );
    p
}

/// Every row of every table, in a stable order: "the workspace exactly as before" means this is equal.
pub fn dump(ws: &Workspace) -> String {
    let c = ws.conn();
    let mut tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.sort();
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("== {t}\n"));
        let mut stmt = c
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            out.push_str(&cells.join("|"));
            out.push('\n');
        }
    }
    out
}

pub fn scalar(ws: &Workspace, sql: &str) -> i64 {
    ws.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The statuses of the findings of scanner id `id` at `location` on the asset known by
/// `identifier` (any kind of identifier).
pub fn status_at(ws: &Workspace, identifier: &str, id: &str, location: &str) -> Vec<String> {
    ws.conn()
        .prepare(
            "SELECT DISTINCT f.status FROM findings f
             JOIN vulnerabilities v ON v.id = f.vulnerability_id
             JOIN asset_identifiers i ON i.asset_id = f.asset_id
             WHERE i.value = ?1 AND v.scanner_id = ?2 AND f.location = ?3",
        )
        .unwrap()
        .query_map([identifier, id, location], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn fresh(dir: &Path) -> Workspace {
    Workspace::open(dir.join("w.truce")).unwrap()
}

pub fn sev(
    critical: u32,
    high: u32,
    medium: u32,
    low: u32,
    info: u32,
) -> truce_core::model::SeverityCounts {
    truce_core::model::SeverityCounts {
        critical,
        high,
        medium,
        low,
        info,
    }
}

/// One text value from the workspace.
pub fn text(ws: &Workspace, sql: &str) -> String {
    ws.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// One value that may be NULL.
pub fn text_opt(ws: &Workspace, sql: &str) -> Option<String> {
    ws.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Bad input is refused with a message naming the file (`name`, written beside the workspace),
/// the position (`position`, or one of its " | "-separated alternatives, appears in it) and the problem (`problem`, or one of its
/// " | "-separated alternatives), and the workspace is exactly as before, also on disk.
pub fn assert_refused(
    mut ws: Workspace,
    name: &str,
    bytes: &[u8],
    format: Option<&str>,
    position: &str,
    problem: &str,
) {
    let before = dump(&ws);
    let path = ws.path().with_file_name(name);
    std::fs::write(&path, bytes).unwrap();
    let e = truce_core::ingest::import_file(&mut ws, &path, format)
        .err()
        .unwrap_or_else(|| panic!("{name} was accepted"));
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            truce_core::Error::BadInput { .. } | truce_core::Error::UnknownFormat { .. }
        ),
        "{name}: not a bad-input error: {msg}"
    );
    assert!(msg.contains(name), "{name}: message names the file: {msg}");
    assert!(
        position.split(" | ").any(|p| msg.contains(p)),
        "{name}: message names the position ('{position}'): {msg}"
    );
    assert!(
        problem.split(" | ").any(|p| msg.contains(p)),
        "{name}: expected '{problem}' in: {msg}"
    );
    assert_eq!(dump(&ws), before, "{name}: workspace changed");
    let file = ws.path().to_path_buf();
    drop(ws);
    assert_eq!(
        dump(&Workspace::open_existing(&file).unwrap()),
        before,
        "{name}: workspace on disk changed"
    );
}

/// A DOCTYPE for `root` declaring the "billion laughs" entities a0..a9 (each ten of the one
/// before): `&a9;` would expand to 10^9 "lol"s.
pub fn entity_bomb_dtd(root: &str) -> String {
    let mut dtd = format!("<!DOCTYPE {root} [\n <!ENTITY a0 \"lol\">\n");
    for i in 1..10 {
        dtd.push_str(&format!(
            " <!ENTITY a{i} \"{}\">\n",
            format!("&a{};", i - 1).repeat(10)
        ));
    }
    dtd.push_str("]>\n");
    dtd
}

/// Every value of a one-column query.
pub fn texts(ws: &Workspace, sql: &str) -> Vec<String> {
    ws.conn()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Imports a corpus file into a fresh workspace in `dir`, checking it is detected as `format`.
pub fn import_detected(
    dir: &Path,
    rel: &str,
    format: &str,
) -> (Workspace, truce_core::model::ImportReport) {
    let mut ws = fresh(dir);
    let r = truce_core::ingest::import_file(&mut ws, &corpus(rel), None)
        .unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(r.format, format, "{rel} detected as {}", r.format);
    (ws, r)
}

/// A vulnerability's CVSS score and vector of version `v` ("2", "3", "4").
pub fn cvss(ws: &Workspace, id: &str, v: &str) -> (f64, String) {
    ws.conn()
        .query_row(
            &format!(
                "SELECT cvss{v}_score, cvss{v}_vector FROM vulnerabilities WHERE scanner_id = ?1"
            ),
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap_or_else(|e| panic!("{id} cvss{v}: {e}"))
}

/// Opens an existing workspace whose clock stands at `at` (and moves only when the test moves it).
pub fn open_at(path: &Path, at: chrono::DateTime<chrono::Utc>) -> Workspace {
    Workspace::open_with(
        path,
        truce_core::workspace::OpenOptions {
            create: false,
            clock: std::sync::Arc::new(truce_core::clock::SetClock::at(at)),
            ..truce_core::workspace::OpenOptions::default()
        },
    )
    .unwrap()
}

/// Every Rust source file below `dir`, with its path relative to `dir` and its text.
pub fn rust_sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}
