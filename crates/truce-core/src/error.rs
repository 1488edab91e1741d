use std::path::PathBuf;

/// Everything that can go wrong in the core, phrased for the person who will read it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: not a Truce workspace ({detail})")]
    NotAWorkspace { path: PathBuf, detail: String },

    #[error("{path}: the workspace file is damaged ({detail}); it was left untouched")]
    Corrupt { path: PathBuf, detail: String },

    #[error("{path}: the workspace is locked by another process (another Truce window or a running import); close it or try again")]
    Locked { path: PathBuf },

    #[error("{path}: the workspace is open in another Truce window or command; close it there, then try again")]
    InUse { path: PathBuf },

    #[error("{path}: the workspace was written by a newer Truce (schema version {found}, this build knows up to {supported}); update Truce to open it")]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("{path}: cannot open the workspace: {detail}")]
    Io { path: PathBuf, detail: String },

    #[error("{path}: cannot read the file: {detail}")]
    Unreadable { path: PathBuf, detail: String },

    #[error("{file}: {position}: {problem}")]
    BadInput {
        file: String,
        position: String,
        problem: String,
    },

    #[error("{0}")]
    Invalid(String),

    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
