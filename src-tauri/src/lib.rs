//! The desktop shell. Each Tauri command is a few lines that call truce-core; all
//! logic lives in the core so the CLI and the hub share it.

mod commands;
mod launch;
mod menu;
mod state;

use tauri::Manager;

pub use launch::Launch;
pub use state::AppState;

/// With `TRUCE_LOG` set (e.g. `truce=debug`), what the core does and how long it takes is
/// appended to `truce.log` in Truce's config folder, for support; otherwise nothing is logged.
fn init_logging() {
    let Ok(filter) = std::env::var("TRUCE_LOG") else {
        return;
    };
    let dir = std::env::var_os("TRUCE_CONFIG_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            dirs::config_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("truce")
        });
    let _ = std::fs::create_dir_all(&dir);
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("truce.log"))
    else {
        return;
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
}

pub fn run() {
    init_logging();
    let launch = Launch::from_args(std::env::args().skip(1));
    let shell_commands: Box<dyn Fn(tauri::ipc::Invoke) -> bool + Send + Sync> =
        Box::new(tauri::generate_handler![
            commands::app_status,
            commands::open_workspace,
            commands::open_demo,
            commands::choose_workspace,
            commands::import_files,
            commands::choose_and_import,
            commands::cancel_download,
            commands::hub_login,
            commands::hub_sync,
        ]);
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState::new())
        .setup(move |app| {
            let state = app.state::<AppState>();
            state.open_at_launch(&launch);
            menu::install(app.handle())?;
            commands::refresh_title(app.handle());
            Ok(())
        })
        .on_menu_event(menu::on_event)
        .on_window_event(|window, event| {
            // A report dropped on the window is imported like one chosen in the dialog.
            if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
                let app = window.app_handle().clone();
                let paths = paths.clone();
                tauri::async_runtime::spawn_blocking(move || commands::run_import(&app, paths));
            }
        })
        // The workspace commands are one table in the core; the rest need the window or dialogs.
        .invoke_handler(move |invoke| {
            if truce_facade::commands::is_command(invoke.message.command()) {
                commands::workspace_command(invoke)
            } else {
                shell_commands(invoke)
            }
        })
        .run(tauri::generate_context!())
        .expect("the Truce window could not start");
}
