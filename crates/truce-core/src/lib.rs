//! Truce's core: the domain model, the workspace file, importers and read models.
//! Used by the desktop shell, the CLI and (later) the hub; it knows nothing of Tauri or any UI.

pub mod api;
pub mod asset_facts;
pub mod assets;
pub mod calendar;
pub mod changes;
pub mod clock;
pub mod csv_mapping;
pub mod demo;
pub mod device;
pub mod error;
mod files;
pub mod here;
pub mod ids;
pub mod ingest;
pub mod kev;
pub mod migrations;
pub mod model;
pub mod planning;
pub mod presence;
pub mod recent;
pub mod scheduling;
pub mod sources;
pub mod sync;
pub mod time;
pub mod workspace;

pub use error::{Error, Result};
pub use workspace::Workspace;
