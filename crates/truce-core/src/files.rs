//! Files named by people: what Truce will open for reading.

use std::path::Path;

use crate::error::{Error, Result};

/// Refuses what is not a regular file or a folder before anything opens it: opening a FIFO
/// blocks until someone writes to it (`mkfifo f.json; truce import f.json` hung for ever), and a
/// device has no end. Folders are left to the caller, which has its own words for them.
pub(crate) fn readable(path: &Path) -> Result<std::fs::Metadata> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Unreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if meta.is_file() || meta.is_dir() {
        return Ok(meta);
    }
    Err(Error::Unreadable {
        path: path.to_path_buf(),
        detail: "it is not a regular file (a FIFO, a device or a socket); Truce reads files".into(),
    })
}
