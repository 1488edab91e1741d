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

    #[error("{path}: the workspace is read-only here (the file or its folder cannot be written); nothing was changed. Check its permissions, or copy it somewhere you can write")]
    ReadOnly { path: PathBuf },

    #[error("{path}: the disk is full; nothing of this change was saved and the workspace is as it was. Free some space, then try again")]
    DiskFull { path: PathBuf },

    #[error("{path}: cannot read the file: {detail}")]
    Unreadable { path: PathBuf, detail: String },

    #[error("{file}: {position}: {problem}")]
    BadInput {
        file: String,
        position: String,
        problem: String,
    },

    /// No format Truce reads claims the file (a CSV may still be read through a mapping).
    #[error("{file}: byte 0: not a report format Truce reads (known: {known}){hint}")]
    UnknownFormat {
        file: String,
        known: String,
        /// "" or "; if it is a CSV export, ..."
        hint: String,
    },

    /// The team hub could not be reached, or refused: its address and the problem (in the hub's
    /// words when it answered). Nothing of the workspace changed.
    #[error("{url}: {problem}")]
    Hub { url: String, problem: String },

    /// The person stopped a download (a calendar feed, a catalog) before it ended: nothing of it
    /// was kept.
    #[error("{source_name}: the download was cancelled; nothing was changed")]
    Cancelled { source_name: String },

    /// A scanner's API (a source) could not be read: its name, the address asked, the problem in
    /// words a person can act on (never a credential).
    #[error("source '{name}': {url}: {problem}")]
    Source {
        name: String,
        url: String,
        problem: String,
    },

    /// The person stopped a source's sync: the pages it imported stay.
    #[error("source '{name}': the sync was cancelled; what it had imported stays, and the next sync goes on from there")]
    SyncCancelled { name: String },

    /// Work stopped before its end on purpose (an import whose writer gave up first): the
    /// other side's error is the one to report.
    #[error("{0}: stopped")]
    Stopped(String),

    #[error("{0}")]
    Invalid(String),

    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A report that could not be read: the same error, in the core's words.
impl From<truce_parsers::Error> for Error {
    fn from(e: truce_parsers::Error) -> Self {
        use truce_parsers::Error as P;
        match e {
            P::Unreadable { path, detail } => Error::Unreadable { path, detail },
            P::BadInput {
                file,
                position,
                problem,
            } => Error::BadInput {
                file,
                position,
                problem,
            },
            P::UnknownFormat { file, known, hint } => Error::UnknownFormat { file, known, hint },
            P::Stopped(s) => Error::Stopped(s),
            P::Invalid(s) => Error::Invalid(s),
        }
    }
}

/// A URL that could not be read is an unreadable source, named by its URL.
impl From<truce_net::Failed> for Error {
    fn from(f: truce_net::Failed) -> Self {
        if f.cancelled {
            return Error::Cancelled { source_name: f.url };
        }
        Error::Unreadable {
            path: f.url.into(),
            detail: f.problem,
        }
    }
}

impl Error {
    /// What SQLite said about the file at `path`, in words that name it and say what to do: a
    /// read-only file, a full disk, another process's lock, damage. Other errors are returned as
    /// they are.
    pub fn in_workspace(self, path: &std::path::Path) -> Error {
        use rusqlite::ErrorCode as C;
        let Error::Db(db) = &self else {
            return self;
        };
        let path = path.to_path_buf();
        match db.sqlite_error_code() {
            Some(C::ReadOnly) => Error::ReadOnly { path },
            Some(C::DiskFull) => Error::DiskFull { path },
            Some(C::DatabaseBusy | C::DatabaseLocked) => Error::Locked { path },
            Some(C::DatabaseCorrupt) => Error::Corrupt {
                path,
                detail: db.to_string(),
            },
            Some(C::NotADatabase) => Error::NotAWorkspace {
                path,
                detail: "the file is not an SQLite database".into(),
            },
            _ => self,
        }
    }

    /// A stable name for the kind of failure, for a front end to branch on (the message is for
    /// people and may change).
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotAWorkspace { .. } => "not_a_workspace",
            Error::Corrupt { .. } => "corrupt",
            Error::Locked { .. } => "locked",
            Error::InUse { .. } => "in_use",
            Error::TooNew { .. } => "too_new",
            Error::Io { .. } => "io",
            Error::ReadOnly { .. } => "read_only",
            Error::DiskFull { .. } => "disk_full",
            Error::Unreadable { .. } => "unreadable",
            Error::BadInput { .. } => "bad_input",
            Error::UnknownFormat { .. } => "unknown_format",
            Error::Cancelled { .. } | Error::SyncCancelled { .. } => "cancelled",
            Error::Source { .. } => "source",
            Error::Hub { .. } => "hub",
            Error::Stopped(_) => "stopped",
            Error::Invalid(_) => "invalid",
            Error::Db(_) => "database",
        }
    }

    /// The values the message is made of, by name: which file, where, what was found.
    pub fn facts(&self) -> std::collections::BTreeMap<String, String> {
        let path = |p: &PathBuf| ("path".to_string(), p.display().to_string());
        let text = |k: &str, v: &str| (k.to_string(), v.to_string());
        match self {
            Error::NotAWorkspace { path: p, detail }
            | Error::Corrupt { path: p, detail }
            | Error::Io { path: p, detail }
            | Error::Unreadable { path: p, detail } => [path(p), text("detail", detail)].into(),
            Error::Locked { path: p }
            | Error::InUse { path: p }
            | Error::ReadOnly { path: p }
            | Error::DiskFull { path: p } => [path(p)].into(),
            Error::TooNew {
                path: p,
                found,
                supported,
            } => [
                path(p),
                text("found", &found.to_string()),
                text("supported", &supported.to_string()),
            ]
            .into(),
            Error::BadInput {
                file,
                position,
                problem,
            } => [
                text("file", file),
                text("position", position),
                text("problem", problem),
            ]
            .into(),
            Error::UnknownFormat { file, known, .. } => {
                [text("file", file), text("known", known)].into()
            }
            Error::Stopped(what) => [text("what", what)].into(),
            Error::Cancelled { source_name } => [text("source", source_name)].into(),
            Error::SyncCancelled { name } => [text("source", name)].into(),
            Error::Source { name, url, problem } => [
                text("source", name),
                text("url", url),
                text("problem", problem),
            ]
            .into(),
            Error::Hub { url, problem } => [text("url", url), text("problem", problem)].into(),
            Error::Invalid(_) | Error::Db(_) => Default::default(),
        }
    }
}
