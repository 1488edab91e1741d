//! `truce sources` with the real Secret Service (gnome-keyring in a D-Bus session of its own, run
//! by `make test-keyring`): the keys go to the keyring and nowhere else, a sync sends them to the
//! API and lands its findings, and neither the workspace file nor anything the commands print
//! holds the secret. The API is a scripted replay of Tenable's export on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const SECRET: &str = "kr-s3cr3t-5c1d0e8f-never-in-a-file";

fn truce(ws: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("--workspace")
        .arg(ws)
        .args(args)
        .env_remove("TRUCE_WORKSPACE")
        .env("TRUCE_SOURCE_ACCESS_KEY", "kr-access")
        .env("TRUCE_SOURCE_SECRET_KEY", SECRET)
        .output()
        .expect("truce runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn secret_tool(source: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "truce-source", "username", source])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// Answers each connection with the next answer (one request each), keeping each request's
/// first line and X-ApiKeys header.
fn scripted(answers: Vec<(String, Vec<u8>)>) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (content_type, body) in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let (mut first, mut keys, mut length) = (String::new(), String::new(), 0usize);
            reader.read_line(&mut first).unwrap();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("x-apikeys:") {
                    keys = line["x-apikeys:".len()..].trim().to_string();
                }
            }
            let mut skip = vec![0u8; length];
            let _ = reader.read_exact(&mut skip);
            log.lock().unwrap().push((first.trim().to_string(), keys));
            let mut stream = reader.into_inner();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (base, seen)
}

#[test]
#[ignore = "needs a Secret Service: make test-keyring"]
fn a_sources_keys_live_in_the_keyring_and_nowhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("sec.truce");
    let chunk = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/scans/tenable/vm-export/chunk-1.json"
    ))
    .unwrap();
    let json = |s: &str| ("application/json".to_string(), s.as_bytes().to_vec());
    let (base, seen) = scripted(vec![
        json(r#"{"export_uuid":"5e3a0000-0000-4000-8000-00000000c11a"}"#),
        json(
            r#"{"uuid":"5e3a0000-0000-4000-8000-00000000c11a","status":"FINISHED","chunks_available":[1],"chunks_failed":[],"chunks_cancelled":[],"total_chunks":1,"finished_chunks":1}"#,
        ),
        ("application/octet-stream".to_string(), chunk),
    ]);
    let mut outputs = Vec::new();
    let mut run = |args: &[&str]| {
        let out = truce(&ws, args);
        let said = text(&out);
        assert!(out.status.success(), "{args:?}: {said}");
        outputs.push(said.clone());
        said
    };
    run(&[
        "sources",
        "add",
        "tenable-vm",
        "--name",
        "Tenable",
        "--url",
        &base,
    ]);
    let listed = run(&["sources", "list", "--json"]);
    let source: serde_json::Value = serde_json::from_str(listed.lines().next().unwrap()).unwrap();
    let id = source["id"].as_str().unwrap().to_string();
    let kept = secret_tool(&id).expect("the keys are in the keyring");
    assert!(
        kept.contains(SECRET) && kept.contains("kr-access"),
        "{kept}"
    );

    let synced = run(&["sources", "sync", "Tenable"]);
    assert!(synced.contains("1 page, 4 findings: 4 new"), "{synced}");
    let requests = seen.lock().unwrap().clone();
    assert_eq!(
        requests
            .iter()
            .map(|(r, _)| r.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        [
            "POST /vulns/export",
            "GET /vulns/export/5e3a0000-0000-4000-8000-00000000c11a/status",
            "GET /vulns/export/5e3a0000-0000-4000-8000-00000000c11a/chunks/1"
        ]
    );
    assert!(
        requests
            .iter()
            .all(|(_, k)| k == &format!("accessKey=kr-access;secretKey={SECRET}")),
        "{requests:?}"
    );

    // Nowhere else: not in the workspace's files, not in anything printed.
    for name in std::fs::read_dir(dir.path()).unwrap() {
        let path = name.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    }
    run(&["sources", "remove", "Tenable"]);
    assert_eq!(secret_tool(&id), None, "forgotten with the source");
    for said in &outputs {
        assert!(!said.contains(SECRET), "printed: {said}");
    }
}
