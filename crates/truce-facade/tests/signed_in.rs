//! Who acts: the person signed in on this laptop, through the app's command table.

use serde_json::{json, Value};
use truce_core::planning::people;
use truce_core::Workspace;
use truce_facade::commands::dispatch;

fn call(ws: &mut Workspace, name: &str, args: Value) -> Result<Value, String> {
    dispatch(ws, name, args).map_err(|e| e.message)
}

fn last_actor(ws: &Workspace) -> String {
    ws.conn()
        .query_row(
            "SELECT actor FROM change_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn the_person_signed_in_is_remembered_per_workspace_and_recorded_on_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.truce");
    let mut ws = Workspace::open(&path).unwrap();
    people::add_team(&mut ws, "Linux Ops", "ops").unwrap();
    let sam = people::add_person(&mut ws, "Sam Sec", Some("sam@example.com"), None, None).unwrap();
    let s = call(&mut ws, "session", Value::Null).unwrap();
    assert_eq!(s["signed_in"], Value::Null);
    assert_eq!(s["people"].as_array().unwrap().len(), 1);
    assert_eq!(s["teams"], json!(["Linux Ops"]));
    let os_user = ws.actor().to_string();
    assert_ne!(os_user, sam);

    let e = call(&mut ws, "sign_in", json!({"person": "nobody@example.com"})).unwrap_err();
    assert!(e.contains("no person 'nobody@example.com'"), "{e}");
    let s = call(&mut ws, "sign_in", json!({"person": "SAM@example.com"})).unwrap();
    assert_eq!(s["signed_in"]["name"], "Sam Sec");
    people::add_team(&mut ws, "Security", "security").unwrap();
    assert_eq!(last_actor(&ws), sam, "changes after signing in are Sam's");
    drop(ws);

    // The next launch (or a `truce` command) acts as Sam without being told.
    let mut ws = Workspace::open_existing(&path).unwrap();
    assert_eq!(ws.actor(), sam);
    // Adding oneself signs in as the new person.
    let s = call(
        &mut ws,
        "add_person",
        json!({"name": "  Dana Ops ", "email": "", "team": "Linux Ops"}),
    )
    .unwrap();
    assert_eq!(s["signed_in"]["name"], "Dana Ops");
    let dana = s["signed_in"]["id"].as_str().unwrap().to_string();
    assert_eq!(ws.actor(), dana);
    let listed = s["people"].as_array().unwrap();
    let d = listed.iter().find(|p| p["id"] == dana.as_str()).unwrap();
    assert_eq!(
        (d["email"].clone(), d["team"].clone()),
        (Value::Null, json!("Linux Ops"))
    );
    assert!(call(
        &mut ws,
        "add_person",
        json!({"name": " ", "email": null, "team": null})
    )
    .is_err());
    // Who signed in is itself in the log (a note: the device row is this laptop's own), by
    // whoever was signed in before.
    let switch: (String, Option<String>, Option<String>) = ws
        .conn()
        .query_row(
            "SELECT actor, reason, new_value FROM change_log WHERE entity = 'device' ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        switch,
        (sam.clone(), Some(format!("after {sam}")), Some(dana))
    );
}
