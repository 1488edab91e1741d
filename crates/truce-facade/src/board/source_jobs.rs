//! A source's test and sync as the page runs them: on a thread of their own, with a handle of
//! their own on the workspace (`Workspace::reopen`), so the app goes on while a sync waits on a
//! scanner's API, and the page follows them by asking again (`sources`), whichever front door it
//! came through (the shell, or the browser tests' bridge). A job's progress lives here, in the
//! process; what a sync did is the source's own record once it ends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use serde::{Deserialize, Serialize};
use truce_core::error::{Error, Result};
use truce_core::sources::{self, Patience, Step};
use truce_core::Workspace;
use ts_rs::TS;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Checks that the API answers and takes the credentials.
    Test,
    /// Syncs what changed since the last sync.
    Sync,
    /// Syncs everything.
    FullSync,
}

/// A source's latest job as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SourceJob {
    pub kind: JobKind,
    pub started_at: String,
    /// Still running.
    pub running: bool,
    /// Pages and findings imported so far.
    pub pages: u32,
    pub findings: u32,
    /// What it is doing or waiting for, in words ("Tenable is preparing the export: 3 chunks
    /// ready", "the API asked to slow down: waiting 30 s").
    pub doing: Option<String>,
    /// Waiting because the API asked it to slow down.
    pub rate_limited: bool,
    /// Once ended: whether it succeeded, and what it found or why it failed.
    pub ok: Option<bool>,
    pub outcome: Option<String>,
    /// The person asked it to stop (and, once ended, it stopped for that).
    pub cancelling: bool,
}

struct Job {
    shown: SourceJob,
    cancel: Arc<AtomicBool>,
}

/// The jobs of this process, by workspace file and source id.
static JOBS: LazyLock<Mutex<HashMap<(PathBuf, String), Job>>> = LazyLock::new(Default::default);

fn key(ws: &Workspace, source_id: &str) -> (PathBuf, String) {
    (ws.path().to_path_buf(), source_id.to_string())
}

/// The latest job of source `source_id` of `ws`, if one ran in this process.
pub fn job(ws: &Workspace, source_id: &str) -> Option<SourceJob> {
    JOBS.lock()
        .expect("jobs")
        .get(&key(ws, source_id))
        .map(|j| j.shown.clone())
}

fn update(k: &(PathBuf, String), f: impl FnOnce(&mut SourceJob)) {
    if let Some(j) = JOBS.lock().expect("jobs").get_mut(k) {
        f(&mut j.shown);
    }
}

fn doing(step: &Step) -> (Option<String>, bool) {
    match step {
        Step::Preparing { status, ready } => (
            Some(format!(
                "the scanner is preparing the export ({}): {ready} ready",
                status.to_lowercase()
            )),
            false,
        ),
        Step::Chunk { .. } => (Some("importing".into()), false),
        Step::RateLimited { wait } => (
            Some(format!(
                "the API asked to slow down: waiting {} s",
                wait.as_secs().max(1)
            )),
            true,
        ),
        Step::Retrying { wait, problem } => (
            Some(format!(
                "{problem}; trying again in {} s",
                wait.as_secs_f32().ceil()
            )),
            false,
        ),
        Step::Landed { .. } => (Some("reading the next page".into()), false),
    }
}

/// Starts `kind` on source `which` on a thread of its own, unless one is running; answers at
/// once. The credentials come from the OS keyring there.
pub fn start(ws: &Workspace, which: &str, kind: JobKind) -> Result<SourceJob> {
    let source = sources::get(ws, which)?;
    let k = key(ws, &source.id);
    let cancel = Arc::new(AtomicBool::new(false));
    let shown = SourceJob {
        kind,
        started_at: ws.now_text(),
        running: true,
        pages: 0,
        findings: 0,
        doing: Some(match kind {
            JobKind::Test => "asking the API".into(),
            _ => "starting".into(),
        }),
        rate_limited: false,
        ok: None,
        outcome: None,
        cancelling: false,
    };
    {
        let mut jobs = JOBS.lock().expect("jobs");
        if jobs.get(&k).is_some_and(|j| j.shown.running) {
            return Err(Error::Invalid(format!(
                "source '{}' is already being synced or tested",
                source.name
            )));
        }
        jobs.insert(
            k.clone(),
            Job {
                shown: shown.clone(),
                cancel: cancel.clone(),
            },
        );
    }
    let own = match ws.reopen() {
        Ok(w) => w,
        Err(e) => {
            JOBS.lock().expect("jobs").remove(&k);
            return Err(e);
        }
    };
    std::thread::spawn(move || {
        let patience = Patience {
            cancel: Some(cancel),
            ..Patience::default()
        };
        let ended = run(own, &source.id, kind, &patience, &k);
        update(&k, |j| {
            j.running = false;
            j.doing = None;
            j.rate_limited = false;
            j.cancelling = matches!(ended, Err(truce_core::Error::SyncCancelled { .. }));
            j.ok = Some(ended.is_ok());
            j.outcome = Some(match ended {
                Ok(said) => said,
                Err(e) => e.to_string(),
            });
        });
    });
    Ok(shown)
}

fn run(
    mut ws: Workspace,
    id: &str,
    kind: JobKind,
    patience: &Patience,
    k: &(PathBuf, String),
) -> Result<String> {
    let keys = super::sources::keys(&ws, id)?;
    if kind == JobKind::Test {
        let source = sources::check(&ws, id, &keys, patience)?;
        return Ok(format!(
            "{} answers at {} and takes the credentials",
            source.name, source.url
        ));
    }
    let report = sources::sync(
        &mut ws,
        id,
        &keys,
        kind == JobKind::FullSync,
        patience,
        &|step| {
            let (said, rate_limited) = doing(&step);
            update(k, |j| {
                if let Step::Landed { pages, findings } = step {
                    j.pages = pages;
                    j.findings = findings;
                }
                j.doing = said;
                j.rate_limited = rate_limited;
            });
        },
    )?;
    Ok(sources::get(&ws, id)?
        .last_result
        .unwrap_or_else(|| format!("{} pages", report.chunks)))
}

/// Asks the running job of source `which` to stop at its next wait on the network.
pub fn cancel(ws: &Workspace, which: &str) -> Result<()> {
    let source = sources::get(ws, which)?;
    let mut jobs = JOBS.lock().expect("jobs");
    match jobs.get_mut(&key(ws, &source.id)) {
        Some(j) if j.shown.running => {
            j.cancel.store(true, Ordering::Relaxed);
            j.shown.cancelling = true;
            Ok(())
        }
        _ => Err(Error::Invalid(format!(
            "source '{}' is not being synced",
            source.name
        ))),
    }
}
