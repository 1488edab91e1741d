#![allow(dead_code)]
//! What the sources' replay servers share: a server on a free loopback port, the patience of a
//! test, a workspace at a set clock, and the checks every source makes (nothing but the source's
//! own record changed; the secret is nowhere in the workspace).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use truce_core::clock::SetClock;
use truce_core::sources::Patience;
use truce_core::workspace::OpenOptions;
use truce_core::Workspace;

/// Serves `app` on a free port of 127.0.0.1, on a thread of its own: its address.
pub fn serve(app: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    base
}

/// A test's patience: seconds, not hours.
pub fn quick() -> Patience {
    Patience {
        request: Duration::from_secs(10),
        deadline: Duration::from_secs(60),
        retries: 2,
        longest_wait: Duration::from_secs(2),
        poll: Duration::from_millis(20),
        max_page: 1 << 20,
        cancel: None,
    }
}

/// `sec.truce` in `dir`, its clock at 06:00 on 1 December 2026, Sam acting.
pub fn workspace(dir: &Path) -> (SetClock, Workspace) {
    let clock = SetClock::at("2026-12-01T06:00:00Z".parse().unwrap());
    let ws = Workspace::open_with(
        dir.join("sec.truce"),
        OpenOptions {
            actor: Some("sam".into()),
            clock: Arc::new(clock.clone()),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    (clock, ws)
}

/// A dump without the `sources` table: what a failed sync may change is its source's record.
pub fn without_sources(dump: &str) -> String {
    let mut skip = false;
    dump.lines()
        .filter(|l| {
            if l.starts_with("== ") {
                skip = *l == "== sources";
            }
            !skip
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails if `secret` is anywhere in `dir`'s `sec.truce` or its write-ahead log.
pub fn assert_nowhere(dir: &Path, secret: &str) {
    for suffix in ["", "-wal"] {
        let path = dir.join(format!("sec.truce{suffix}"));
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the secret is in {}",
                path.display()
            );
        }
    }
}

/// A request's query parameters (commas as they are, `%2C` read as one).
pub fn query(uri: &axum::http::Uri) -> HashMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_string(), v.replace("%2C", ",")))
        .collect()
}

/// The `Authorization` of HTTP basic auth for `user` and `password`.
pub fn basic(user: &str, password: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let plain = format!("{user}:{password}");
    let mut out = String::from("Basic ");
    for c in plain.as_bytes().chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
