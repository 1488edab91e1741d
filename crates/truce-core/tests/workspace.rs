//! Opening workspaces: new, old, foreign, damaged, locked and newer files.

mod common;

use std::time::Duration;

use rusqlite::Connection;
use truce_core::migrations::{self, LATEST, MIGRATIONS};
use truce_core::workspace::{OpenOptions, APPLICATION_ID};
use truce_core::{Error, Workspace};

#[test]
fn a_new_workspace_is_wal_with_foreign_keys_at_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path().join("sub/new.truce")).unwrap();
    let c = ws.conn();
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // A commit is durable once it returns, power loss included (ARCHITECTURE.md): in WAL mode
    // that is synchronous=FULL (2); NORMAL (1) may lose the last commits when the power goes.
    let sync: i64 = c
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2);
    let fk: i64 = c
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    assert_eq!(ws.schema_version().unwrap(), LATEST);
    let app: i32 = c
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
    // Foreign keys are enforced, not just declared.
    let err = c.execute(
        "INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, first_seen, last_seen)
         VALUES ('f', 'no-such-asset', 'no-such-vuln', '0/tcp', 'low', 'x', 'x')",
        [],
    );
    assert!(err.is_err());
}

/// The tables' CHECKs refuse what they always refused, without a temporary index of the allowed
/// values built each time a statement runs (an IN-list of more than two values builds one: two
/// per batch of an import's findings, one per finding a rescan closes).
#[test]
fn checks_refuse_bad_values_without_building_an_index_each_time() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path().join("w.truce")).unwrap();
    let c = ws.conn();
    let tables: Vec<(String, String)> = c
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let with_lists: Vec<&str> = tables
        .iter()
        .filter(|(_, sql)| {
            sql.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(" IN (")
        })
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        with_lists.is_empty(),
        "CHECKs with an IN-list: {with_lists:?}"
    );
    let insert = "INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, status, first_seen, last_seen)
                  VALUES ('f', 'a', 'v', '0/tcp', ?1, ?2, 'x', 'x')";
    let program: Vec<String> = c
        .prepare(&format!("EXPLAIN {insert}"))
        .unwrap()
        .query_map(["low", "open"], |r| r.get(1))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(
        !program.iter().any(|op| op == "OpenEphemeral"),
        "{program:?}"
    );
    c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    for (severity, status) in [("urgent", "open"), ("low", "gone"), ("", "open")] {
        let e = c.execute(insert, [severity, status]).unwrap_err();
        assert!(
            e.to_string().contains("CHECK constraint failed"),
            "{severity}/{status}: {e}"
        );
    }
    c.execute(insert, ["low", "risk_accepted"]).unwrap();
    let e = c
        .execute(
            "INSERT INTO asset_identifiers (asset_id, kind, value) VALUES ('a', 'serial', 'x')",
            [],
        )
        .unwrap_err();
    assert!(e.to_string().contains("CHECK constraint failed"), "{e}");
}

/// Builds a file the way the release with `version` migrations would have left it.
fn workspace_at_version(path: &std::path::Path, version: i64) {
    let mut c = Connection::open(path).unwrap();
    c.pragma_update(None, "journal_mode", "wal").unwrap();
    let tx = c.transaction().unwrap();
    // Truce claims a file before anything else (a file killed before its first migration
    // is version 0 with the application id).
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    migrations::apply(&tx, 0, version).unwrap();
    // From v16 shared tables record their writes through Truce's own SQL functions, which a bare
    // connection lacks: the fixture's rows are written as a migration writes, unrecorded.
    truce_core::changes::remove(&tx).unwrap();
    if version >= 1 {
        tx.execute_batch(
            "INSERT INTO assets (id, name, created_at, updated_at) VALUES ('a1', 'web01.example.com', 't', 't');
             INSERT INTO asset_identifiers (asset_id, kind, value) VALUES ('a1', 'fqdn', 'web01.example.com');
             INSERT INTO vulnerabilities (id, scanner, scanner_id, title, severity) VALUES ('v1', 'nessus', '19506', 'Scan info', 'info');
             INSERT INTO findings (id, asset_id, vulnerability_id, location, severity, first_seen, last_seen)
               VALUES ('f1', 'a1', 'v1', '0/tcp', 'info', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');",
        )
        .unwrap();
    }
    match version {
        1 | 2 => tx.execute_batch("UPDATE findings SET evidence = 'Nessus version : 10.4'").unwrap(),
        3..=18 => tx
            .execute_batch("INSERT INTO finding_evidence (finding_id, text) VALUES ('f1', 'Nessus version : 10.4')")
            .unwrap(),
        19.. => {
            let packed = zstd::bulk::compress(b"Nessus version : 10.4", 1).unwrap();
            tx.execute("INSERT INTO finding_evidence (finding_id, zstd) VALUES ('f1', ?1)", [packed])
                .unwrap();
        }
        _ => {}
    }
    if version >= 2 {
        tx.execute_batch("INSERT INTO teams (id, name, kind) VALUES ('t1', 'Linux Ops', 'ops');")
            .unwrap();
    }
    tx.commit().unwrap();
}

#[test]
fn workspaces_from_every_earlier_version_open_and_keep_their_data() {
    for version in 0..LATEST {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("v{version}.truce"));
        workspace_at_version(&path, version);
        let ws = Workspace::open(&path).unwrap_or_else(|e| panic!("version {version}: {e}"));
        assert_eq!(
            ws.schema_version().unwrap(),
            LATEST,
            "from version {version}"
        );
        let assets = common::scalar(&ws, "SELECT count(*) FROM assets");
        assert_eq!(
            assets,
            if version >= 1 { 1 } else { 0 },
            "assets kept from version {version}"
        );
        let ids = common::scalar(
            &ws,
            "SELECT count(*) FROM asset_identifiers WHERE value = 'web01.example.com'",
        );
        assert_eq!(
            ids,
            if version >= 1 { 1 } else { 0 },
            "identifiers kept from version {version}"
        );
        if (1..18).contains(&version) {
            // v18 wrote every instant in milliseconds, and left text that is no instant alone.
            assert_eq!(
                common::text(&ws, "SELECT first_seen || ' ' || last_seen FROM findings"),
                "2026-01-01T00:00:00.000Z 2026-01-01T00:00:00.000Z",
                "from version {version}"
            );
            assert_eq!(common::text(&ws, "SELECT created_at FROM assets"), "t");
        }
        if (1..17).contains(&version) {
            // v17 derived the scanner facts' ids from their natural keys, and every reference
            // followed: the identifier, the finding, its evidence (v3 moved it to its own table).
            let ns = truce_core::ids::namespace(ws.conn()).unwrap();
            let asset = truce_core::ids::derived(&ns, "asset", &["fqdn=web01.example.com"]);
            let vuln = truce_core::ids::derived(&ns, "vulnerability", &["nessus", "19506"]);
            let finding =
                truce_core::ids::derived_within(&ns, &asset, "finding", &[&asset, &vuln, "0/tcp"]);
            assert_eq!(common::text(&ws, "SELECT id FROM assets"), asset);
            assert_eq!(
                common::text(&ws, "SELECT asset_id FROM asset_identifiers"),
                asset
            );
            assert_eq!(
                common::text(
                    &ws,
                    "SELECT asset_id || ' ' || vulnerability_id FROM findings"
                ),
                format!("{asset} {vuln}")
            );
            let evidence = common::text(
                &ws,
                &format!("SELECT evidence FROM findings_with_evidence WHERE id = '{finding}'"),
            );
            assert_eq!(evidence, "Nessus version : 10.4");
        }
        if version >= 1 {
            // v19 compressed the evidence; it reads back as it was written, through the
            // store's reader as through the view.
            let finding = common::text(&ws, "SELECT id FROM findings");
            assert_eq!(
                truce_core::ingest::evidence::of(ws.conn(), &finding)
                    .unwrap()
                    .as_deref(),
                Some("Nessus version : 10.4"),
                "from version {version}"
            );
            assert_eq!(
                common::scalar(
                    &ws,
                    "SELECT count(*) FROM finding_evidence WHERE typeof(zstd) = 'blob'"
                ),
                1
            );
        }
        // v20 edited the tables' CHECKs in place: the file is still sound.
        assert_eq!(
            common::text(&ws, "PRAGMA integrity_check"),
            "ok",
            "from version {version}"
        );
        let teams = common::scalar(&ws, "SELECT count(*) FROM teams");
        assert_eq!(teams, if version >= 2 { 1 } else { 0 });
        // Every table of the latest schema is there.
        let tables = common::scalar(
            &ws,
            "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name = 'exceptions'",
        );
        assert_eq!(tables, 1);
        // v4 added csv_mappings: every older file gains it, empty.
        assert_eq!(
            common::scalar(&ws, "SELECT count(*) FROM csv_mappings"),
            0,
            "csv_mappings from version {version}"
        );
    }
    assert_eq!(MIGRATIONS.len() as i64, LATEST);
}

fn assert_untouched(path: &std::path::Path, before: &[u8], e: Error, want: fn(&Error) -> bool) {
    assert!(want(&e), "unexpected error: {e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "message names the file: {msg}"
    );
    assert_eq!(
        std::fs::read(path).unwrap(),
        before,
        "file must not be rewritten"
    );
}

#[test]
fn garbage_is_not_a_workspace_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.truce");
    let before = b"These are my meeting notes, not a database.\n".repeat(200);
    std::fs::write(&path, &before).unwrap();
    let e = Workspace::open(&path).err().unwrap();
    assert_untouched(&path, &before, e, |e| {
        matches!(e, Error::NotAWorkspace { .. })
    });
}

#[test]
fn another_applications_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let e = Workspace::open(&path).err().unwrap();
    assert!(e.to_string().contains("another application"));
    assert_untouched(&path, &before, e, |e| {
        matches!(e, Error::NotAWorkspace { .. })
    });
}

/// Files that are not Truce's keep every byte: a bare `user_version`, a lone view, an empty file
/// (issue 18). Before, the first two were switched to WAL (header bytes 18-19) and then failed
/// with "no such table" or were migrated into a workspace, and the empty file was adopted.
#[test]
fn files_truce_did_not_make_are_refused_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Option<&str>, &str); 3] = [
        (
            "version.db",
            Some("PRAGMA user_version = 3;"),
            "another application",
        ),
        (
            "view.db",
            Some("CREATE VIEW v AS SELECT 1 AS one;"),
            "another application",
        ),
        ("empty.truce", None, "empty (0 bytes)"),
    ];
    for (name, sql, said) in cases {
        let path = dir.path().join(name);
        match sql {
            Some(sql) => Connection::open(&path).unwrap().execute_batch(sql).unwrap(),
            None => std::fs::write(&path, b"").unwrap(),
        }
        let before = std::fs::read(&path).unwrap();
        let e = Workspace::open(&path).err().unwrap();
        assert!(e.to_string().contains(said), "{name}: {e}");
        assert_untouched(&path, &before, e, |e| {
            matches!(e, Error::NotAWorkspace { .. })
        });
        assert!(
            !dir.path().join(format!("{name}-wal")).exists(),
            "{name}: no log was started beside it"
        );
    }
}

/// A Truce file whose schema version was reset to 0 while it holds tables is reported damaged,
/// in a sentence, untouched; it used to run migration 1 again and print its whole SQL.
#[test]
fn a_workspace_whose_version_was_reset_is_damaged_not_remigrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reset.truce");
    drop(Workspace::open(&path).unwrap());
    let c = single_file(&path);
    c.pragma_update(None, "user_version", 0).unwrap();
    drop(c);
    let before = std::fs::read(&path).unwrap();
    let e = Workspace::open(&path).err().unwrap();
    let said = e.to_string();
    assert!(
        said.contains("schema version says 0") && !said.contains("CREATE TABLE"),
        "{said}"
    );
    assert_untouched(&path, &before, e, |e| matches!(e, Error::Corrupt { .. }));
}

/// A FIFO named as a workspace or a report is refused at once: opening it would wait for a
/// writer for ever.
#[test]
fn a_fifo_is_refused_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("f.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let e = Workspace::open(&fifo).err().unwrap();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let ws_path = dir.path().join("w.truce");
    let (send, recv) = std::sync::mpsc::channel();
    let f = fifo.clone();
    std::thread::spawn(move || {
        let mut ws = Workspace::open(&ws_path).unwrap();
        let r = truce_core::ingest::import_file(&mut ws, &f, None).map(|_| ());
        let _ = send.send(r.map_err(|e| (e.code(), e.to_string())));
    });
    let (code, said) = recv
        .recv_timeout(Duration::from_secs(10))
        .expect("the import answers instead of waiting on the FIFO")
        .unwrap_err();
    assert_eq!(code, "unreadable");
    assert!(
        said.contains("f.json") && said.contains("not a regular file"),
        "{said}"
    );
}

/// SQLite's "attempt to write a readonly database" and "database or disk is full" become
/// messages that name the workspace and say what to do.
#[test]
fn a_read_only_file_and_a_full_disk_are_named_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.truce");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (a)")
        .unwrap();
    // What SQLite answers a write to a file it may only read.
    let ro =
        Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let write = ro.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    let e = Error::Db(write).in_workspace(&path);
    assert_eq!(e.code(), "read_only", "{e}");
    assert!(
        e.to_string().contains("w.truce") && e.to_string().contains("read-only"),
        "{e}"
    );
    let full = rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
        Some("database or disk is full".into()),
    );
    let e = Error::Db(full).in_workspace(&path);
    assert_eq!(e.code(), "disk_full");
    assert!(
        e.to_string().contains("w.truce") && e.to_string().contains("Free some space"),
        "{e}"
    );
}

/// A closed workspace back in rollback-journal mode, so its bytes are the whole of it. (An open
/// `Workspace` cannot leave WAL mode: its presence lock keeps everyone from the exclusive lock.)
fn single_file(path: &std::path::Path) -> Connection {
    let c = Connection::open(path).unwrap();
    c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    c
}

#[test]
fn a_workspace_from_a_newer_truce_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.truce");
    drop(Workspace::open(&path).unwrap());
    let c = single_file(&path);
    c.pragma_update(None, "user_version", LATEST + 7).unwrap();
    drop(c);
    let before = std::fs::read(&path).unwrap();
    let e = Workspace::open(&path).err().unwrap();
    assert!(e
        .to_string()
        .contains(&format!("schema version {}", LATEST + 7)));
    assert_untouched(&path, &before, e, |e| matches!(e, Error::TooNew { .. }));
}

#[test]
fn a_damaged_workspace_is_reported_and_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.truce");
    drop(Workspace::open(&path).unwrap());
    drop(single_file(&path));
    // Keep the 100-byte header, scribble over the rest of page 1 (the schema).
    let mut bytes = std::fs::read(&path).unwrap();
    for b in &mut bytes[100..4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let e = Workspace::open(&path).err().unwrap();
    assert_untouched(&path, &bytes, e, |e| {
        matches!(e, Error::Corrupt { .. } | Error::NotAWorkspace { .. })
    });
}

#[test]
fn a_workspace_locked_by_another_process_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.truce");
    // A v1 file in rollback-journal mode, so opening it needs the write lock to migrate.
    {
        let c = Connection::open(&path).unwrap();
        let mut c = c;
        let tx = c.transaction().unwrap();
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        migrations::apply(&tx, 0, 1).unwrap();
        tx.commit().unwrap();
    }
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let opts = OpenOptions {
        busy_timeout: Duration::from_millis(100),
        ..Default::default()
    };
    let e = Workspace::open_with(&path, opts).err().unwrap();
    assert!(matches!(e, Error::Locked { .. }), "{e:?}");
    assert!(e.to_string().contains("locked by another process"));
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    let ws = Workspace::open(&path).unwrap();
    assert_eq!(ws.schema_version().unwrap(), LATEST);
}

#[test]
fn a_writer_in_another_process_makes_imports_wait_then_report_locked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.truce");
    let mut ws = Workspace::open_with(
        &path,
        OpenOptions {
            busy_timeout: Duration::from_millis(100),
            ..Default::default()
        },
    )
    .unwrap();
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let e = ws.write_tx().err().unwrap();
    assert!(matches!(e, Error::Locked { .. }), "{e:?}");
}

#[test]
fn a_missing_file_is_an_error_when_it_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.truce");
    let e = Workspace::open_existing(&path).err().unwrap();
    assert!(e.to_string().contains("no such file"));
    assert!(!path.exists());
}

#[test]
fn the_change_log_is_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let ws = common::fresh(dir.path());
    let c = ws.conn();
    c.execute(
        "INSERT INTO change_log (entity, entity_id, field, actor, device, hlc, at) VALUES ('asset', 'a1', 'name', 'me', 'd', 1, 'now')",
        [],
    )
    .unwrap();
    assert!(c
        .execute("UPDATE change_log SET actor = 'someone else'", [])
        .is_err());
    assert!(c.execute("DELETE FROM change_log", []).is_err());
    assert_eq!(
        common::scalar(&ws, "SELECT count(*) FROM change_log WHERE actor = 'me'"),
        1
    );
}

fn pragma(ws: &Workspace, name: &str) -> i64 {
    ws.conn()
        .pragma_query_value(None, name, |r| r.get(0))
        .unwrap()
}

#[test]
fn an_import_leaves_its_pages_in_the_log_until_a_checkpoint_copies_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.truce");
    let mut ws = Workspace::open(&path).unwrap();
    assert_eq!(pragma(&ws, "page_size"), 16384);
    let main_file = || std::fs::metadata(&path).unwrap().len();
    let before = main_file();
    let file = common::corpus("tenable/nessus/nessus_v_unknown.xml");
    truce_core::ingest::import_file(&mut ws, &file, None).unwrap();
    assert_eq!(common::scalar(&ws, "SELECT count(*) FROM findings"), 296);
    // Ordinary writes checkpoint on their own again once the import is over, failed or not.
    assert_eq!(pragma(&ws, "wal_autocheckpoint"), 1000);
    let junk = dir.path().join("junk.nessus");
    std::fs::write(&junk, b"<NessusClientData_v2><Report>").unwrap();
    assert!(truce_core::ingest::import_file(&mut ws, &junk, None).is_err());
    assert_eq!(pragma(&ws, "wal_autocheckpoint"), 1000);
    // Committed, but still in the log until the checkpoint copies it into the file.
    let (log, copied) = ws.checkpoint_in_background().join().unwrap().unwrap();
    assert!(log > 0);
    assert_eq!(copied, log);
    assert!(main_file() > before);
    // A second connection, from the file alone, sees everything.
    drop(ws);
    let again = Workspace::open(&path).unwrap();
    assert_eq!(common::scalar(&again, "SELECT count(*) FROM findings"), 296);
}
