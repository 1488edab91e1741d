//! The app's import (`api::import_files`) leads straight to a plan.

mod common;

use truce_core::{api, planning, Workspace};

#[test]
fn the_first_import_in_the_app_makes_work_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = Workspace::open(dir.path().join("new.truce")).unwrap();
    let report = common::corpus("tenable/nessus/nessus_v_unknown.xml");
    let out = api::import_files(&mut ws, &[report], &|_| {});
    assert!(out[0].error.is_none(), "{:?}", out[0].error);
    // The same file the CLI's regroup test reads: 5 distinct solutions among its non-info findings.
    let items = planning::list_items(ws.conn(), chrono::Utc::now()).unwrap();
    assert_eq!(items.len(), 5);
    let mut sizes: Vec<u32> = items.iter().map(|i| i.findings).collect();
    sizes.sort();
    assert_eq!(sizes, [2, 7, 7, 7, 7]);
}
