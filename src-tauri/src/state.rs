//! The one open workspace, shared by commands and menu handlers.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Mutex;

use truce_core::model::AppStatus;
use truce_core::recent::RecentStore;
use truce_core::workspace::demo_workspace_path;
use truce_core::{api, demo, Workspace};

use crate::Launch;

pub struct AppState {
    workspace: Mutex<Option<Workspace>>,
    last_error: Mutex<Option<String>>,
    pub recent: RecentStore,
    /// Set by the page's Cancel: the running download (a calendar URL) stops.
    pub cancel_download: AtomicBool,
}

impl AppState {
    pub fn new() -> AppState {
        AppState {
            workspace: Mutex::new(None),
            last_error: Mutex::new(None),
            recent: RecentStore::default_location(),
            cancel_download: AtomicBool::new(false),
        }
    }

    /// `--demo`, else `--workspace`, else the last workspace; otherwise the welcome screen.
    pub fn open_at_launch(&self, launch: &Launch) {
        let result = if launch.demo {
            self.open_demo()
        } else if let Some(p) = &launch.workspace {
            self.open(p, true)
        } else if let Some(p) = self.recent.last().filter(|p| p.exists()) {
            self.open(&p, false)
        } else {
            Ok(())
        };
        if let Err(e) = result {
            *self.last_error.lock().unwrap() = Some(e.to_string());
        }
    }

    pub fn open(&self, path: &Path, create: bool) -> truce_core::Result<()> {
        let ws = if create {
            Workspace::open(path)?
        } else {
            Workspace::open_existing(path)?
        };
        let _ = self.recent.touch(ws.path());
        *self.workspace.lock().unwrap() = Some(ws);
        *self.last_error.lock().unwrap() = None;
        Ok(())
    }

    pub fn open_demo(&self) -> truce_core::Result<()> {
        let path: PathBuf = demo_workspace_path();
        // Close our handle first: the demo replaces the file.
        if self
            .workspace
            .lock()
            .unwrap()
            .as_ref()
            .is_some_and(|w| w.path() == path)
        {
            *self.workspace.lock().unwrap() = None;
        }
        demo::create_demo(&path, truce_core::here::clock())?;
        self.open(&path, false)
    }

    pub fn fail(&self, message: String) {
        *self.last_error.lock().unwrap() = Some(message);
    }

    /// Runs `f` on the open workspace.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&Workspace) -> truce_core::Result<T>,
    ) -> Result<T, String> {
        let guard = self.workspace.lock().unwrap();
        let ws = guard.as_ref().ok_or("no workspace is open")?;
        f(ws).map_err(|e| e.to_string())
    }

    /// Runs `f` on the open workspace, for changes.
    pub fn with_mut<T>(
        &self,
        f: impl FnOnce(&mut Workspace) -> truce_core::Result<T>,
    ) -> Result<T, String> {
        let mut guard = self.workspace.lock().unwrap();
        let ws = guard.as_mut().ok_or("no workspace is open")?;
        f(ws).map_err(|e| e.to_string())
    }

    pub fn status(&self) -> AppStatus {
        let guard = self.workspace.lock().unwrap();
        let error = self.last_error.lock().unwrap().clone();
        api::app_status(guard.as_ref(), self.recent.load().paths, error)
    }

    pub fn title(&self) -> String {
        match self.workspace.lock().unwrap().as_ref() {
            Some(ws) => format!(
                "{} — Truce",
                ws.path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            None => "Truce".to_string(),
        }
    }
}

/// A sync reaches the open workspace only between its network calls (`truce_core::sync::Reach`),
/// so the board keeps working while it waits on the hub.
impl truce_core::sync::Reach for AppState {
    fn reach<T>(
        &self,
        step: &mut dyn FnMut(&mut Workspace) -> truce_core::Result<T>,
    ) -> truce_core::Result<T> {
        let mut guard = self.workspace.lock().unwrap();
        let ws = guard
            .as_mut()
            .ok_or_else(|| truce_core::Error::Invalid("no workspace is open".into()))?;
        step(ws)
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}
