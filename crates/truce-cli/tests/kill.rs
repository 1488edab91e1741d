//! A `kill -9` in the middle of an import leaves the workspace as it was before that import.

use std::fs::File;
use std::io::BufWriter;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::{Duration, Instant};

use truce_bench::nessus::{self, Spec};
use truce_core::Workspace;

fn dump(ws: &Workspace) -> String {
    let c = ws.conn();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = String::new();
    for t in tables {
        let n: i64 = c
            .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
            .unwrap();
        let h: Option<String> = c
            .query_row(&format!("SELECT group_concat(quote(x), ',') FROM (SELECT * FROM \"{t}\" ORDER BY 1) AS x"), [], |r| r.get(0))
            .unwrap_or(None);
        out.push_str(&format!(
            "{t}: {n} rows {}\n",
            h.map(|s| s.len()).unwrap_or(0)
        ));
    }
    let ids: Vec<String> = c
        .prepare("SELECT id || status || last_seen FROM findings ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    out.push_str(&ids.join("\n"));
    out
}

#[test]
fn kill_9_mid_import_leaves_the_last_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("w.truce");
    // A committed first import, so "as before" is not just "empty".
    let small = dir.path().join("small.nessus");
    nessus::write(
        &Spec {
            hosts: 20,
            ..Spec::new(1_000)
        },
        &mut BufWriter::new(File::create(&small).unwrap()),
    )
    .unwrap();
    let big = dir.path().join("big.nessus");
    let mut spec = Spec::new(60_000);
    spec.seed = 9;
    spec.scan_time += 86_400;
    nessus::write(&spec, &mut BufWriter::new(File::create(&big).unwrap())).unwrap();

    let truce = env!("CARGO_BIN_EXE_truce");
    let ok = Command::new(truce)
        .args([
            "--workspace",
            ws_path.to_str().unwrap(),
            "import",
            small.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let before = dump(&Workspace::open_existing(&ws_path).unwrap());

    let mut child = Command::new(truce)
        .args([
            "--workspace",
            ws_path.to_str().unwrap(),
            "import",
            big.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    // Wait until the import has written a good part of its transaction to the WAL, then kill it.
    let wal = dir.path().join("w.truce-wal");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the import finished ({status}) before it could be killed; use a bigger file");
        }
        if std::fs::metadata(&wal)
            .map(|m| m.len() > 8 << 20)
            .unwrap_or(false)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the import never wrote to the WAL"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL");

    let ws = Workspace::open_existing(&ws_path).unwrap();
    assert_eq!(
        dump(&ws),
        before,
        "the workspace must be exactly as after the first import"
    );
    let n: i64 = ws
        .conn()
        .query_row("SELECT count(*) FROM imports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    drop(ws);
    // And it is usable: the same import now goes through.
    let again = Command::new(truce)
        .args([
            "--workspace",
            ws_path.to_str().unwrap(),
            "import",
            big.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
