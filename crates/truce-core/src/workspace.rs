//! A workspace is one SQLite file. Opening one never rewrites data it does not
//! understand: a foreign, damaged, locked or newer file gives an error and is left as it was.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::changes::Ctx;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::migrations;
use crate::presence::{Presence, Refused};

/// `PRAGMA application_id` of every Truce workspace ("TRCE").
pub const APPLICATION_ID: i32 = 0x5452_4345;

/// The environment variable that picks a workspace file, like `--workspace`.
pub const WORKSPACE_ENV: &str = "TRUCE_WORKSPACE";

pub struct Workspace {
    // Declared before `presence`: the connection must close before the presence's
    // descriptor does (see `Drop`).
    conn: Connection,
    presence: Presence,
    path: PathBuf,
    ctx: Ctx,
    /// Who acts when nobody is signed in (see [`OpenOptions::os_user`]).
    os_user: String,
}

impl Drop for Workspace {
    /// Gives up the presence lock first, so that if this is the last connection anywhere
    /// SQLite can fold the log into the file and remove it as it closes.
    fn drop(&mut self) {
        self.presence.release();
    }
}

impl Workspace {
    /// Opens `path`, creating an empty workspace if the file does not exist, and
    /// brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, OpenOptions::here())
    }

    /// Opens an existing workspace; a missing file is an error.
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(
            path,
            OpenOptions {
                create: false,
                ..OpenOptions::here()
            },
        )
    }

    pub fn open_with(path: impl AsRef<Path>, opts: OpenOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let exists = path.exists();
        if !exists && !opts.create {
            return Err(Error::Io {
                path,
                detail: "no such file".into(),
            });
        }
        if exists {
            // A folder, a FIFO or a device is refused before SQLite opens it (a FIFO would block
            // the open for ever), and an empty file is not adopted: Truce cannot tell it is one
            // of its own.
            let meta = std::fs::metadata(&path).map_err(|e| Error::Io {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            let refuse = |detail: &str| Error::NotAWorkspace {
                path: path.clone(),
                detail: detail.into(),
            };
            if meta.is_dir() {
                return Err(refuse("it is a folder"));
            }
            if !meta.is_file() {
                return Err(refuse("it is not a regular file"));
            }
            if meta.len() == 0 {
                return Err(refuse(
                    "it is empty (0 bytes), so nothing says it is Truce's; delete it or choose another name",
                ));
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::Io {
                path: path.clone(),
                detail: e.to_string(),
            })?;
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if opts.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| Error::Io {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        conn.busy_timeout(opts.busy_timeout)?;
        // UUIDv7 for rows written by SQL itself (bulk change-log entries).
        conn.create_scalar_function(
            "truce_new_id",
            0,
            rusqlite::functions::FunctionFlags::SQLITE_UTF8,
            |_| Ok(crate::ids::new_id()),
        )?;
        crate::ingest::evidence::register(&conn)?;
        let ctx = Ctx::new(opts.clock, String::new());
        ctx.attach(&conn)?;
        let mut ws = Workspace {
            conn,
            presence: Presence::none(),
            path,
            ctx,
            os_user: opts.os_user.clone(),
        };
        ws.prepare(exists).map_err(|e| ws.classify(e))?;
        // Whoever is signed in here acts, unless the caller names someone (imports, the demo).
        let actor = match opts.actor {
            Some(a) => a,
            None => crate::device::signed_in(&ws.conn)?
                .map(|p| p.id)
                .unwrap_or(opts.os_user),
        };
        ws.ctx.set_actor(actor);
        ws.ctx.set_device(crate::device::device_id(&ws.conn)?);
        ws.ctx.resume(&ws.conn)?;
        // Only now: a new file's switch to WAL needs the write lock this would block.
        ws.presence = presence(&ws.path, opts.busy_timeout)?;
        Ok(ws)
    }

    /// Checks what the file is, then migrates it inside one immediate transaction. Nothing is
    /// written to a file that `existed` before every check says it is a Truce workspace: a
    /// foreign file's bytes stay as they were.
    fn prepare(&mut self, existed: bool) -> Result<()> {
        let path = self.path.clone();
        // Reading the header is the first thing that touches the file: garbage fails here.
        let app_id: i32 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        // Tables, views, indexes and triggers alike: a file holding only a view is not empty.
        let objects: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if existed && app_id != APPLICATION_ID {
            // Every file Truce makes carries its application id before anything else is
            // written to it (below), so a file without it was made by someone else.
            let detail = if app_id != 0 || objects > 0 || version != 0 {
                "it is an SQLite database of another application"
            } else {
                "it is an SQLite database that no application has claimed"
            };
            return Err(Error::NotAWorkspace {
                path,
                detail: detail.into(),
            });
        }
        if version > migrations::LATEST {
            return Err(Error::TooNew {
                path,
                found: version,
                supported: migrations::LATEST,
            });
        }
        if existed && ((version == 0) != (objects == 0)) {
            return Err(Error::Corrupt {
                path,
                detail: format!(
                    "its schema version says {version} but it holds {objects} tables, views, indexes and triggers"
                ),
            });
        }
        self.conn.pragma_update(None, "foreign_keys", true)?;
        // A REPLACE that deletes a row fires its delete trigger too, so the record of it is
        // complete (`changes`).
        self.conn.pragma_update(None, "recursive_triggers", true)?;
        if !existed {
            // Only a new file can choose its page size. Evidence rows run to kilobytes: 16 KiB
            // pages need fewer overflow pages and b-tree levels, and a fresh import measured
            // about 15% faster than with the default 4 KiB.
            self.conn.pragma_update(None, "page_size", 16384)?;
            // The first write claims the file, so a Truce file killed before its first
            // migration is still known as Truce's when it is opened again.
            self.conn
                .pragma_update(None, "application_id", APPLICATION_ID)?;
        }
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Io {
                path,
                detail: format!("cannot switch to WAL (got {mode})"),
            });
        }
        // FULL: the log is synced at every commit, so what Truce said was saved survives a power
        // loss too (NORMAL keeps the file consistent but may lose the last commits). Measured:
        // 0.2 ms more per small commit, 0.1 s more on a 100,000-item import (BENCHMARKS.md).
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        // 64 MB of page cache: an import touches the findings index all over, and re-reading
        // evicted pages from disk was a large share of import time.
        self.conn.pragma_update(None, "cache_size", -65536)?;
        // After an import the log is hundreds of megabytes; once checkpointed it is cut back.
        self.conn
            .pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
        if version < migrations::LATEST {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Re-read under the write lock: another process may have migrated meanwhile.
            let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if version < migrations::LATEST {
                tx.pragma_update(None, "application_id", APPLICATION_ID)?;
                migrations::apply(&tx, version, migrations::LATEST)?;
            }
            tx.commit()?;
        }
        Ok(())
    }

    /// Turns SQLite's codes into the errors a person can act on.
    fn classify(&self, e: Error) -> Error {
        let path = self.path.clone();
        match e.in_workspace(&path) {
            // A migration's statement failed on a Truce file: its tables are not what its
            // schema version says (the message, not the migration's whole SQL).
            Error::Db(rusqlite::Error::SqlInputError { msg, .. }) => Error::Corrupt {
                path,
                detail: format!("its tables do not match its schema version ({msg})"),
            },
            Error::Db(rusqlite::Error::SqliteFailure(f, msg)) => Error::Io {
                path,
                detail: msg.unwrap_or_else(|| f.to_string()),
            },
            other => other,
        }
    }

    /// Starts a write transaction now (not at the first write), so a workspace busy in
    /// another process is reported as locked up front instead of failing half-way.
    pub fn write_tx(&mut self) -> Result<rusqlite::Transaction<'_>> {
        let path = self.path.clone();
        self.ctx.begin();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| Error::Db(e).in_workspace(&path))?;
        // Another process (the CLI beside the app, a sync) may have written since: this one's
        // clock goes past what it wrote, so no two records of this device share a clock.
        self.ctx.catch_up(&tx)?;
        Ok(tx)
    }

    /// While `deferred`, commits leave their pages in the write-ahead log instead of copying
    /// them into the database file (SQLite's automatic checkpoint). A commit is already
    /// durable in the log, and copying a large import's pages was a fifth of its time: the
    /// copy is done afterwards by [`Workspace::checkpoint`], on another thread, or when the
    /// last connection closes.
    pub fn defer_checkpoints(&self, deferred: bool) -> Result<()> {
        let pages = if deferred { 0 } else { 1000 };
        self.conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// Copies committed pages from the write-ahead log into the database file without
    /// blocking readers or writers (a passive checkpoint), through a connection of its own
    /// so it can run on another thread. Returns the log's pages and how many were copied.
    pub fn checkpoint(path: &Path) -> Result<(i64, i64)> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let mut here = presence(path, Duration::from_millis(1500))?;
        let (log, copied) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        here.release();
        drop(conn);
        Ok((log, copied))
    }

    /// Folds the write-ahead log into the file and leaves rollback-journal mode, so the file
    /// alone is the whole workspace (for moving it by rename). Needs this to be the only
    /// connection: it gives up its presence for the write lock SQLite asks for.
    pub(crate) fn into_single_file(mut self) -> Result<()> {
        self.presence.release();
        let mode: String =
            self.conn
                .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(Error::Locked {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// [`Workspace::checkpoint`] on a thread of its own, for after an import: the caller
    /// gets its answer while the pages are copied.
    pub fn checkpoint_in_background(&self) -> std::thread::JoinHandle<Result<(i64, i64)>> {
        let path = self.path.clone();
        std::thread::spawn(move || Workspace::checkpoint(&path))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Another handle on this workspace, acting as the same person by the same clock: for work
    /// on a thread of its own (a source's sync while the app goes on). Each write transaction
    /// catches up with what the other handle wrote, so the device's clock never repeats.
    pub fn reopen(&self) -> Result<Workspace> {
        let ws = Workspace::open_with(
            &self.path,
            OpenOptions {
                create: false,
                actor: Some(self.actor()),
                os_user: self.os_user.clone(),
                clock: self.ctx.clock(),
                ..OpenOptions::default()
            },
        )?;
        Ok(ws)
    }

    /// Who is recorded in the change log for changes made through this handle: the signed-in
    /// person's id, or the OS user where nobody is signed in.
    pub fn actor(&self) -> String {
        self.ctx.actor()
    }

    pub(crate) fn set_actor(&mut self, actor: String) {
        self.ctx.set_actor(actor);
    }

    /// Nobody signed in: changes are the OS user's again.
    pub(crate) fn act_as_os_user(&mut self) {
        self.ctx.set_actor(self.os_user.clone());
    }

    /// Now, as this workspace's clock says (the system's, or the one a test set).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.ctx.now()
    }

    /// [`Workspace::now`] as the tables store times.
    pub fn now_text(&self) -> String {
        crate::ids::utc_text(self.now())
    }

    /// Who writes, from which device, by which clock.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// Records the changes made through this handle as `who` (a person's id, email or name),
    /// without changing who is signed in: the CLI's `--as`. Only a known person can act.
    pub fn act_as(&mut self, who: &str) -> Result<crate::planning::PersonRef> {
        let Some((id, name)) = crate::planning::person(&self.conn, who)? else {
            return Err(Error::Invalid(format!(
                "no person '{who}' in this workspace (see `truce teams list`)"
            )));
        };
        self.ctx.set_actor(id.clone());
        Ok(crate::planning::PersonRef { id, name })
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Puts the single-file workspace `tmp` in place of `path` (a rename, so a failure leaves what
/// was there), unless someone has `path` open: they would go on writing into the old file, which
/// nobody would ever read again. `tmp` is removed if it cannot go in.
pub(crate) fn replace_file(tmp: &Path, path: &Path) -> Result<()> {
    let _shut = if path.exists() {
        Some(
            Presence::exclusive(path, Duration::from_millis(500)).map_err(|e| {
                let _ = std::fs::remove_file(tmp);
                match e {
                    Refused::Busy => Error::InUse {
                        path: path.to_path_buf(),
                    },
                    Refused::Io(e) => Error::Io {
                        path: path.to_path_buf(),
                        detail: e.to_string(),
                    },
                }
            })?,
        )
    } else {
        None
    };
    // What is left of the old file's log (after a crash) must not be replayed into the new one.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(path.with_file_name(format!(
            "{}{suffix}",
            path.file_name().unwrap_or_default().to_string_lossy()
        )));
    }
    std::fs::rename(tmp, path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

#[derive(Clone)]
pub struct OpenOptions {
    pub create: bool,
    pub busy_timeout: Duration,
    pub actor: Option<String>,
    /// Who acts when nobody is signed in and no actor is named: the OS user, which the caller
    /// (app, CLI) reads; the core never asks the OS who is there.
    pub os_user: String,
    pub clock: std::sync::Arc<dyn Clock>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            create: true,
            busy_timeout: Duration::from_millis(1500),
            actor: None,
            os_user: "unknown".into(),
            clock: crate::clock::system(),
        }
    }
}

impl OpenOptions {
    /// The options of a person at this laptop: the system clock and the OS user.
    pub fn here() -> Self {
        OpenOptions {
            os_user: crate::here::os_user(),
            clock: crate::here::clock(),
            ..OpenOptions::default()
        }
    }
}

/// Marks `path` as open in this process (see [`crate::presence`]).
fn presence(path: &Path, timeout: Duration) -> Result<Presence> {
    Presence::shared(path, timeout).map_err(|e| match e {
        Refused::Busy => Error::Locked {
            path: path.to_path_buf(),
        },
        Refused::Io(e) => Error::Io {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
    })
}

/// Where a workspace lives when nobody says otherwise.
pub fn default_workspace_path() -> PathBuf {
    data_dir().join("workspace.truce")
}

/// Where the demo workspace is written.
pub fn demo_workspace_path() -> PathBuf {
    data_dir().join("demo.truce")
}

pub fn data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("truce")
}

/// `--workspace`, else `$TRUCE_WORKSPACE`, else the default file.
pub fn resolve_workspace_path(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os(WORKSPACE_ENV).map(PathBuf::from))
        .unwrap_or_else(default_workspace_path)
}
