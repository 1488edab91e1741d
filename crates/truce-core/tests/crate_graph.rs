//! Crates are API boundaries: what each crate must never depend on, directly or through another
//! (ARCHITECTURE.md's code map). Read from `cargo metadata`'s resolved graph, so a dependency
//! added anywhere below a crate counts.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// (crate, what it must never reach).
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "truce-rules",
        &[
            "rusqlite",
            "reqwest",
            "truce-net",
            "truce-core",
            "truce-calendar",
            "tauri",
            "tokio",
        ],
    ),
    (
        "truce-calendar",
        &[
            "rusqlite",
            "reqwest",
            "truce-net",
            "truce-core",
            "truce-rules",
            "tauri",
            "tokio",
        ],
    ),
    (
        "truce-net",
        &[
            "rusqlite",
            "truce-core",
            "truce-rules",
            "truce-calendar",
            "tauri",
        ],
    ),
    // Secrets never reach a workspace: the store cannot even name the keyring.
    (
        "truce-core",
        &[
            "tauri",
            "wry",
            "tao",
            "truce-facade",
            "truce-hub",
            "truce-secrets",
            "keyring",
        ],
    ),
    (
        "truce-secrets",
        &["rusqlite", "truce-core", "reqwest", "tauri"],
    ),
    (
        "truce-sync",
        &[
            "rusqlite",
            "tokio-postgres",
            "reqwest",
            "truce-core",
            "tauri",
        ],
    ),
    // The hub speaks PostgreSQL and the operations' wire shape, never a workspace file.
    (
        "truce-hub",
        &[
            "rusqlite",
            "truce-core",
            "truce-facade",
            "truce-rules",
            "tauri",
        ],
    ),
    ("truce-facade", &["tauri", "wry", "tao"]),
    ("truce-cli", &["tauri", "wry", "tao"]),
];

/// Crates that call the store but must not speak SQL themselves: no direct dependency on the
/// SQLite driver, and no statement in their sources. The store (`truce-core`) is the only one.
const NO_SQL: &[&str] = &["truce-facade", "truce-cli", "truce-app"];

/// Every package each workspace crate reaches through normal (not dev or build) dependencies,
/// and the ones it names itself.
struct Graph {
    reach: HashMap<String, BTreeSet<String>>,
    direct: HashMap<String, BTreeSet<String>>,
    dirs: HashMap<String, std::path::PathBuf>,
}

fn graph() -> Graph {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // This machine's platform only: the others' packages need not be downloaded to be judged.
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc names its host");
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host,
        ])
        .args(["--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let name: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let deps: HashMap<&str, Vec<&str>> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let normal = n["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap())
                .collect();
            (n["id"].as_str().unwrap(), normal)
        })
        .collect();
    let mut all = HashMap::new();
    let mut direct = HashMap::new();
    let mut dirs = HashMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let manifest = std::path::PathBuf::from(p["manifest_path"].as_str().unwrap());
        dirs.insert(
            p["name"].as_str().unwrap().to_string(),
            manifest.parent().unwrap().to_path_buf(),
        );
    }
    for member in meta["workspace_members"].as_array().unwrap() {
        let start = member.as_str().unwrap();
        direct.insert(
            name[start].to_string(),
            deps.get(start)
                .into_iter()
                .flatten()
                .map(|d| name[d].to_string())
                .collect::<BTreeSet<_>>(),
        );
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            for d in deps.get(id).into_iter().flatten() {
                if seen.insert(name[d].to_string()) {
                    stack.push(d);
                }
            }
        }
        all.insert(name[start].to_string(), seen);
    }
    Graph {
        reach: all,
        direct,
        dirs,
    }
}

#[test]
fn no_crate_reaches_what_it_must_never_depend_on() {
    let reach = graph().reach;
    // The walk finds dependencies at all (else every check below would pass on nothing).
    assert!(
        reach["truce-core"].contains("rusqlite") && reach["truce-core"].contains("truce-rules")
    );
    assert!(reach["truce-net"].contains("reqwest"));
    let mut broken = Vec::new();
    for (krate, never) in FORBIDDEN {
        let got = reach
            .get(*krate)
            .unwrap_or_else(|| panic!("no crate {krate} in the workspace"));
        for n in *never {
            if got.contains(*n) {
                broken.push(format!("{krate} depends on {n}"));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:?}");
}

/// SQL is the store's language: the facade, the CLI and the shell call functions of the store and
/// never write a statement or hold the driver themselves.
#[test]
fn only_the_store_speaks_sql() {
    let g = graph();
    assert!(g.direct["truce-core"].contains("rusqlite"));
    let mut broken = Vec::new();
    for krate in NO_SQL {
        if g.direct[*krate].contains("rusqlite") {
            broken.push(format!("{krate} depends on rusqlite"));
        }
        let sources = common::rust_sources(&g.dirs[*krate].join("src"));
        let files = sources.len();
        for (name, text) in &sources {
            for needle in [
                ".prepare(",
                ".prepare_cached(",
                ".execute(",
                ".execute_batch(",
                ".query_row(",
                ".transaction(",
                "SELECT ",
                "INSERT INTO",
                "UPDATE ",
                "DELETE FROM",
            ] {
                if text.contains(needle) {
                    broken.push(format!("{krate}/src/{name}: {needle}"));
                }
            }
        }
        assert!(files > 0, "no sources read for {krate}");
    }
    assert!(broken.is_empty(), "{broken:?}");
}
