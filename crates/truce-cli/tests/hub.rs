//! `truce hub` without a hub: what a person sees before connecting, a wrong address, a hub that
//! cannot be reached (nothing is lost: the changes still wait). The pushes themselves are tested
//! against a real hub and PostgreSQL in `crates/truce-hub/tests/hub.rs`.

use std::path::Path;
use std::process::{Command, Output};

fn truce(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
        .output()
        .expect("truce runs")
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_workspace_without_a_hub_says_so_and_an_unreachable_hub_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("w.truce");
    let out = truce(&ws, &["hub", "status"]);
    assert!(out.status.success(), "{}", said(&out));
    let lines: Vec<String> = said(&out).lines().map(String::from).collect();
    assert_eq!(lines[0], "not connected to a hub (truce hub connect URL)");
    // What the hub's admin needs to let this laptop in.
    assert!(
        lines[1].starts_with("workspace ") && lines[1].contains(", this laptop's device "),
        "{lines:?}"
    );
    let out = truce(&ws, &["hub", "push", "--token", "t0ken"]);
    assert!(!out.status.success());
    assert!(
        said(&out).contains("not connected to a hub"),
        "{}",
        said(&out)
    );
    // A calendar feed's webcal:// is no hub address either.
    for wrong in ["ftp://hub.example", "webcal://hub.example", "hub.example"] {
        let out = truce(&ws, &["hub", "connect", wrong]);
        assert!(!out.status.success(), "{wrong}");
        assert!(
            said(&out).contains(&format!("'{wrong}' is not a hub address")),
            "{}",
            said(&out)
        );
    }
    assert!(truce(&ws, &["teams", "add", "Linux Ops", "--kind", "ops"])
        .status
        .success());
    // A port nobody listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let out = truce(&ws, &["hub", "connect", &url]);
    assert!(out.status.success(), "{}", said(&out));
    let waiting = said(&out);
    assert!(
        waiting.starts_with(&format!("connected to {url}; ")),
        "{waiting}"
    );
    let secret = "s3cret-device-token";
    let out = truce(&ws, &["hub", "push", "--token", secret]);
    assert!(!out.status.success());
    assert!(
        said(&out).contains(&format!("{url}/v1/workspaces/")),
        "{}",
        said(&out)
    );
    assert!(said(&out).contains("cannot connect"), "{}", said(&out));
    assert!(
        !said(&out).contains("cannot read the file"),
        "{}",
        said(&out)
    );
    assert!(
        !said(&out).contains(secret),
        "the token is never shown: {}",
        said(&out)
    );
    let status = said(&truce(&ws, &["hub", "status"]));
    assert_eq!(
        status.lines().next().unwrap(),
        format!(
            "hub {url}: {} changes wait to be pushed, 0 conflicts open",
            waiting
                .split("; ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
        ),
        "a failed push moves nothing"
    );
}
