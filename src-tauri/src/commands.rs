//! Tauri commands: a few lines each, all work done by truce-core.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_dialog::DialogExt;
use truce_core::model::{AppStatus, ImportOutcome};

use crate::state::AppState;
use truce_facade::commands::CommandError;

/// The event the UI listens to when the menu changes the open workspace.
pub const WORKSPACE_CHANGED: &str = "workspace-changed";
/// `ImportProgress` while files are read; `ImportOutcome[]` when an import is over.
pub const IMPORT_PROGRESS: &str = "import-progress";
pub const IMPORT_FINISHED: &str = "import-finished";
/// `DownloadProgress` while a calendar URL is read before its import.
pub const DOWNLOAD_PROGRESS: &str = "download-progress";
/// `SyncReport` after a sync with the team hub merged others' changes: the board reloads.
pub const HUB_SYNCED: &str = "hub-synced";

#[tauri::command]
pub fn app_status(state: State<'_, AppState>) -> AppStatus {
    state.status()
}

#[tauri::command]
pub fn open_workspace(app: AppHandle, state: State<'_, AppState>, path: String) -> AppStatus {
    if let Err(e) = state.open(&PathBuf::from(path), false) {
        state.fail(e.to_string());
    }
    changed(&app)
}

#[tauri::command]
pub fn open_demo(app: AppHandle, state: State<'_, AppState>) -> AppStatus {
    if let Err(e) = state.open_demo() {
        state.fail(e.to_string());
    }
    changed(&app)
}

/// Shows the OS file dialog (from Rust, so the page needs no dialog permission) and opens
/// or creates the chosen workspace. Cancelling changes nothing.
#[tauri::command]
pub async fn choose_workspace(app: AppHandle, create: bool) -> AppStatus {
    let dialog = app
        .dialog()
        .file()
        .add_filter("Truce workspace", &["truce"]);
    let picked = if create {
        dialog.set_file_name("workspace.truce").blocking_save_file()
    } else {
        dialog.blocking_pick_file()
    };
    let state = app.state::<AppState>();
    if let Some(path) = picked.and_then(|p| p.into_path().ok()) {
        if let Err(e) = state.open(&path, create) {
            state.fail(e.to_string());
        }
    }
    changed(&app)
}

/// Imports the given report files (also what a file dropped on the window does).
#[tauri::command]
pub async fn import_files(
    app: AppHandle,
    paths: Vec<String>,
) -> Result<Vec<ImportOutcome>, String> {
    let paths = paths.into_iter().map(PathBuf::from).collect();
    tauri::async_runtime::spawn_blocking(move || run_import(&app, paths))
        .await
        .map_err(|e| e.to_string())?
}

/// Asks for report files with the OS dialog, then imports them. Cancelling imports nothing.
#[tauri::command]
pub async fn choose_and_import(app: AppHandle) -> Result<Vec<ImportOutcome>, String> {
    tauri::async_runtime::spawn_blocking(move || {
        let picked = app
            .dialog()
            .file()
            .set_title("Import scanner reports")
            .blocking_pick_files();
        let paths: Vec<PathBuf> = picked
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.into_path().ok())
            .collect();
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        run_import(&app, paths)
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The one import path of the app: same core call as `truce import`, with progress events.
pub fn run_import(app: &AppHandle, paths: Vec<PathBuf>) -> Result<Vec<ImportOutcome>, String> {
    let outcomes = app.state::<AppState>().with_mut(|ws| {
        Ok(truce_core::api::import_files(ws, &paths, &|p| {
            let _ = app.emit(IMPORT_PROGRESS, &p);
        }))
    })?;
    let _ = app.emit(IMPORT_FINISHED, &outcomes);
    changed(app);
    Ok(outcomes)
}

/// Every command of `truce_facade::commands` goes through here: the one table the browser
/// tests' bridge serves too. Runs off the main thread, like the import.
pub fn workspace_command(invoke: tauri::ipc::Invoke) -> bool {
    let name = invoke.message.command().to_string();
    let args = match invoke.message.payload() {
        tauri::ipc::InvokeBody::Json(v) => v.clone(),
        _ => serde_json::Value::Null,
    };
    let app = invoke.message.webview().app_handle().clone();
    let resolver = invoke.resolver;
    tauri::async_runtime::spawn_blocking(move || {
        // Errors cross as {code, message, facts} (truce_facade::commands::CommandError).
        let answer = prepare(&app, &name, args).and_then(|args| {
            app.state::<AppState>()
                .with_mut(|ws| Ok(truce_facade::commands::dispatch(ws, &name, args)))
                .map_err(|no_workspace| {
                    truce_facade::commands::CommandError::new("no_workspace", no_workspace)
                })
                .and_then(|r| r)
        });
        match answer {
            Ok(v) => resolver.resolve(v),
            Err(e) => resolver.reject(e),
        }
    });
    true
}

/// A command's download (a calendar URL), before the workspace is taken: its progress goes to
/// the page as events, and the page's Cancel (`cancel_download`) stops it.
fn prepare(
    app: &AppHandle,
    name: &str,
    args: serde_json::Value,
) -> Result<serde_json::Value, truce_facade::commands::CommandError> {
    use truce_facade::commands::{self, DownloadProgress, Watch};
    if !commands::may_download(name) {
        return Ok(args);
    }
    let state = app.state::<AppState>();
    state.cancel_download.store(false, Ordering::Relaxed);
    let source = args["source"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string();
    let progress = |p: commands::Progress| {
        let _ = app.emit(
            DOWNLOAD_PROGRESS,
            DownloadProgress {
                source: source.clone(),
                received: p.received,
                total: p.total,
            },
        );
    };
    commands::prepare(
        name,
        args,
        &Watch {
            progress: &progress,
            cancel: &state.cancel_download,
        },
    )
}

/// The page's Cancel for the running download.
#[tauri::command]
pub fn cancel_download(state: State<'_, AppState>) {
    state.cancel_download.store(true, Ordering::Relaxed);
}

/// After the open workspace changed: new title, new recent menu, and the UI told.
pub fn changed(app: &AppHandle) -> AppStatus {
    refresh_title(app);
    let _ = crate::menu::refresh_recent(app);
    let status = app.state::<AppState>().status();
    let _ = app.emit(WORKSPACE_CHANGED, &status);
    status
}

pub fn refresh_title(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&app.state::<AppState>().title());
    }
}

/// Keeps this laptop's device token for the workspace's hub in the OS keyring.
#[tauri::command]
pub async fn hub_login(app: AppHandle, token: String) -> Result<(), CommandError> {
    tauri::async_runtime::spawn_blocking(move || {
        truce_facade::board::hub::login(&*app.state::<AppState>(), &token)
            .map_err(CommandError::from)
    })
    .await
    .map_err(|e| CommandError::new("internal", e.to_string()))?
}

/// Pushes, then pulls and merges (the token from the keyring); the page hears `hub-synced`.
#[tauri::command]
pub async fn hub_sync(app: AppHandle) -> Result<truce_core::sync::SyncReport, CommandError> {
    tauri::async_runtime::spawn_blocking(move || {
        let report = truce_facade::board::hub::sync(&*app.state::<AppState>())?;
        let _ = app.emit(HUB_SYNCED, &report);
        Ok(report)
    })
    .await
    .map_err(|e| CommandError::new("internal", e.to_string()))?
}
