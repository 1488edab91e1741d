//! The list of recently opened workspaces, kept in the OS config folder (never in a workspace).

use std::path::{Path, PathBuf};

use crate::model::RecentWorkspaces;

const MAX_RECENT: usize = 10;

pub struct RecentStore {
    file: PathBuf,
}

impl RecentStore {
    /// `$TRUCE_CONFIG_DIR` (tests), else the OS config folder.
    pub fn default_location() -> RecentStore {
        let dir = std::env::var_os("TRUCE_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                dirs::config_dir()
                    .unwrap_or_else(std::env::temp_dir)
                    .join("truce")
            });
        RecentStore {
            file: dir.join("recent.json"),
        }
    }

    pub fn at(file: PathBuf) -> RecentStore {
        RecentStore { file }
    }

    /// The list; a missing or unreadable file is an empty list (it is only a convenience).
    pub fn load(&self) -> RecentWorkspaces {
        std::fs::read(&self.file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Puts `path` first. Written to a temporary file and renamed, so a crash never leaves half a list.
    pub fn touch(&self, path: &Path) -> std::io::Result<RecentWorkspaces> {
        let mut list = self.load();
        let shown = path.display().to_string();
        list.paths.retain(|p| *p != shown);
        list.paths.insert(0, shown);
        list.paths.truncate(MAX_RECENT);
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&list)?)?;
        std::fs::rename(&tmp, &self.file)?;
        Ok(list)
    }

    pub fn last(&self) -> Option<PathBuf> {
        self.load().paths.first().map(PathBuf::from)
    }
}
