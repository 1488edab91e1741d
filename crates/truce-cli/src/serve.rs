//! `truce serve-ui`: the app's backend over local HTTP, for the browser tests. The page's
//! `invoke(name, args)` becomes `POST /invoke/<name>` with `args` as the body, answered by the
//! same `truce_facade::commands::dispatch` the desktop shell calls — the tests drive the real core
//! and a real SQLite file, and there is no second backend to drift.
//!
//! Only for tests on one machine, and only in builds with the `test-bridge` feature (never the
//! product's): it listens on 127.0.0.1, and answers only requests whose path starts with the
//! random token it printed, so another page or user on the machine cannot drive it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{json, Value};
use tiny_http::{Header, Method, Response, Server};
use truce_core::{demo, Workspace};
use truce_facade::commands::{self, CommandError};

pub fn serve(path: &Path, port: u16, fresh_demo: bool) -> truce_core::Result<ExitCode> {
    if fresh_demo {
        demo::create_demo(path, truce_core::here::clock())?;
    }
    let mut ws = Some(Workspace::open_existing(path)?);
    let server = Server::http(("127.0.0.1", port)).map_err(|e| truce_core::Error::Io {
        path: PathBuf::from(format!("127.0.0.1:{port}")),
        detail: e.to_string(),
    })?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or(port);
    let token = token()?;
    // The test harness waits for this line before it opens the page.
    println!("listening on http://127.0.0.1:{port}/{token}");
    let prefix = format!("/{token}/");
    for mut request in server.incoming_requests() {
        let mut body = String::new();
        let _ = request.as_reader().read_to_string(&mut body);
        let url = request.url().to_string();
        let route = match url.strip_prefix(&prefix[..prefix.len() - 1]) {
            Some(rest) if rest.starts_with('/') => rest.to_string(),
            _ => String::new(),
        };
        let (status, answer) = match (request.method(), route.as_str()) {
            (_, "") => (
                403,
                json!({ "error": "this bridge answers only its own token's paths" }),
            ),
            (Method::Post, "/reset") => {
                // A fresh demo for the next test: close the file first, the demo replaces it.
                ws = None;
                match demo::create_demo(path, truce_core::here::clock())
                    .and_then(|_| Workspace::open_existing(path))
                {
                    Ok(w) => {
                        ws = Some(w);
                        (200, Value::Null)
                    }
                    Err(e) => (500, json!({ "error": e.to_string() })),
                }
            }
            (Method::Post, u) if u.starts_with("/invoke/") => {
                let name = &u["/invoke/".len()..];
                let args: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                match ws.as_mut() {
                    None => (500, json!({ "error": "no workspace is open" })),
                    // The error as the app's shell rejects it: {code, message, facts}.
                    Some(w) => match invoke(w, name, args) {
                        Ok(v) => (200, v),
                        Err(e) => (400, json!({ "error": e })),
                    },
                }
            }
            _ => (404, json!({ "error": format!("no route {route}") })),
        };
        let response = Response::from_string(answer.to_string())
            .with_status_code(status)
            .with_header(
                Header::from_bytes(&b"Content-Type"[..], &b"application/json"[..])
                    .expect("static header"),
            )
            // The board benchmark's page fetches from here directly (its CSP names this origin).
            .with_header(
                Header::from_bytes(&b"Access-Control-Allow-Origin"[..], &b"*"[..])
                    .expect("static header"),
            );
        let _ = request.respond(response);
    }
    Ok(ExitCode::SUCCESS)
}

/// 128 random bits from the kernel, as hex: the path prefix only the harness that started this
/// bridge knows.
fn token() -> truce_core::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| truce_core::Error::Io {
            path: PathBuf::from("/dev/urandom"),
            detail: e.to_string(),
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The command table, and nothing else: the shell's own commands (`app_status`, opening files)
/// are answered by the test harness, from this table's `overview` (tests/browser/bridge.mjs).
/// As the app does: a command's download first (here nobody can cancel it; the transfer limit
/// bounds it), then the command on the workspace.
fn invoke(ws: &mut Workspace, name: &str, args: Value) -> Result<Value, CommandError> {
    let never = std::sync::atomic::AtomicBool::new(false);
    let watch = commands::Watch {
        progress: &|_| {},
        cancel: &never,
    };
    let args = commands::prepare(name, args, &watch)?;
    commands::dispatch(ws, name, args)
}
