#![allow(dead_code)]
use std::path::{Path, PathBuf};

use truce_core::Workspace;

/// `../shared/corpus/scans/...` from the repository root.
pub fn corpus(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scans")
        .join(rel);
    assert!(
        p.exists(),
        "corpus file missing: {} (shared/ must sit beside the checkout)",
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

pub fn fresh(dir: &Path) -> Workspace {
    Workspace::open(dir.join("w.truce")).unwrap()
}
