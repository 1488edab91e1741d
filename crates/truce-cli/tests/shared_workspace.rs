//! The app and the CLI writing one workspace in turns. The app is played by a `Workspace`
//! held open in this process, as the desktop shell holds one; the CLI is the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use truce_core::planning::people;
use truce_core::Workspace;

fn truce(ws: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
        .output()
        .expect("truce runs")
}

fn demo_report() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../truce-core/demo/nessus_many_vuln.nessus")
}

fn team_names(ws: &Workspace) -> Vec<String> {
    let mut names: Vec<String> = people::teams(ws)
        .unwrap()
        .into_iter()
        .map(|(_, name, _)| name)
        .collect();
    names.sort();
    names
}

/// A desktop process reads files it did not write (GTK's file chooser and recent-files list
/// sniff their type). Closing that descriptor used to drop SQLite's locks for the whole
/// process, and the next CLI to close deleted the log the app was still writing into.
fn sniff_like_gtk(path: &Path) {
    use std::io::Read;
    let mut f = std::fs::File::open(path).unwrap();
    let mut head = [0u8; 64];
    let _ = f.read(&mut head);
}

#[test]
fn app_and_cli_write_in_turns_and_every_write_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.truce");
    let mut expected = Vec::new();
    {
        // File › New Workspace…, import a report: what the app does.
        let mut app = Workspace::open(&path).unwrap();
        let out = truce_core::api::import_files(&mut app, &[demo_report()], &|_| {});
        assert!(out[0].error.is_none(), "{:?}", out[0].error);
        for turn in 0..4 {
            sniff_like_gtk(&path);
            let cli_team = format!("cli-{turn}");
            let o = truce(&path, &["teams", "add", &cli_team]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            expected.push(cli_team);
            assert!(
                dir.path().join("new.truce-wal").exists(),
                "turn {turn}: the CLI removed the log the app is writing into"
            );
            // The app sees the CLI's write, and its own write lands.
            assert!(team_names(&app).contains(expected.last().unwrap()));
            let app_team = format!("app-{turn}");
            people::add_team(&mut app, &app_team, "ops").unwrap();
            expected.push(app_team);
        }
        let integrity: String = app
            .conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        // Quit.
    }
    expected.sort();
    let reopened = Workspace::open_existing(&path).unwrap();
    assert_eq!(team_names(&reopened), expected);
    let findings: i64 = reopened
        .conn()
        .query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
        .unwrap();
    assert!(findings > 0, "the app's import survived");
}

#[test]
fn the_demo_is_not_replaced_under_someone_who_has_it_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.truce");
    let o = truce(&path, &["demo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut app = Workspace::open_existing(&path).unwrap();
    people::add_team(&mut app, "made in the app", "ops").unwrap();

    let o = truce(&path, &["demo"]);
    assert!(!o.status.success(), "the demo was replaced while open");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("demo.truce") && stderr.contains("open in another Truce"),
        "{stderr}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // The app goes on writing into the file everyone reads.
    people::add_team(&mut app, "still the app", "ops").unwrap();
    drop(app);
    let reopened = Workspace::open_existing(&path).unwrap();
    let names = team_names(&reopened);
    assert!(names.contains(&"made in the app".to_string()), "{names:?}");
    assert!(names.contains(&"still the app".to_string()), "{names:?}");
    drop(reopened);

    // Once nobody has it open, it is replaced as asked.
    let o = truce(&path, &["demo"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fresh = Workspace::open_existing(&path).unwrap();
    assert!(!team_names(&fresh).contains(&"made in the app".to_string()));
}
