//! The app menu: File > Open, New, Open Demo, Open Recent, Quit.

use std::path::PathBuf;

use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Manager};

use crate::commands;
use crate::state::AppState;

const RECENT_PREFIX: &str = "recent:";

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let recent = Submenu::with_id(app, "recent", "Open Recent", false)?;
    fill_recent(app, &recent)?;
    let file = Submenu::with_items(
        app,
        "File",
        true,
        &[
            &MenuItem::with_id(app, "open", "Open Workspace…", true, Some("CmdOrCtrl+O"))?,
            &MenuItem::with_id(app, "new", "New Workspace…", true, Some("CmdOrCtrl+N"))?,
            &MenuItem::with_id(app, "demo", "Open Demo Workspace", true, None::<&str>)?,
            &recent,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(
                app,
                "import",
                "Import Scanner Reports…",
                true,
                Some("CmdOrCtrl+I"),
            )?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit", true, Some("CmdOrCtrl+Q"))?,
        ],
    )?;
    let menu = Menu::with_items(app, &[&file])?;
    app.set_menu(menu)?;
    Ok(())
}

/// Rebuilds only the Open Recent list (replacing the whole menu upsets GTK's accelerators).
pub fn refresh_recent(app: &AppHandle) -> tauri::Result<()> {
    let Some(menu) = app.menu() else {
        return Ok(());
    };
    for item in menu.items()? {
        if let Some(file) = item.as_submenu() {
            if let Some(recent) = file.get("recent").and_then(|r| r.as_submenu().cloned()) {
                fill_recent(app, &recent)?;
            }
        }
    }
    Ok(())
}

fn fill_recent(app: &AppHandle, recent: &Submenu<tauri::Wry>) -> tauri::Result<()> {
    for old in recent.items()? {
        recent.remove(&old)?;
    }
    let paths = app.state::<AppState>().recent.load().paths;
    for p in &paths {
        recent.append(&MenuItem::with_id(
            app,
            format!("{RECENT_PREFIX}{p}"),
            p,
            true,
            None::<&str>,
        )?)?;
    }
    recent.set_enabled(!paths.is_empty())?;
    Ok(())
}

pub fn on_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref().to_string();
    let app = app.clone();
    match id.as_str() {
        "quit" => app.exit(0),
        "demo" => {
            let _ = commands::open_demo(app.clone(), app.state());
        }
        "import" => {
            tauri::async_runtime::spawn(async move {
                let _ = commands::choose_and_import(app).await;
            });
        }
        "open" | "new" => {
            let create = id == "new";
            tauri::async_runtime::spawn(async move {
                commands::choose_workspace(app, create).await;
            });
        }
        other => {
            if let Some(path) = other.strip_prefix(RECENT_PREFIX) {
                let _ = commands::open_workspace(
                    app.clone(),
                    app.state(),
                    PathBuf::from(path).display().to_string(),
                );
            }
        }
    }
}
