//! Joining from a snapshot instead of replaying every operation. A laptop whose every change is
//! at the hub (an admin's, `truce hub snapshot`) packs its workspace: a copy made in one read
//! transaction (`VACUUM INTO`), so it holds exactly the operations numbered up to its cursor,
//! without what is this laptop's own (who is signed in, when it last synced), compressed. A new
//! laptop downloads the hub's latest, opens it (migrating it if it is older), makes it its own
//! (its device id, its hub address) and puts it in place of its empty workspace; the next pull
//! brings what came after. A snapshot this build cannot open (a newer version) is not used: the
//! laptop replays instead.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::workspace::{replace_file, OpenOptions};
use crate::Workspace;

/// What a packed snapshot holds: the operations up to `seq`, in a workspace of version `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed {
    pub seq: i64,
    pub format: i64,
}

/// zstd's default: about five times smaller, and a gigabyte unpacks in a second or two.
const LEVEL: i32 = 3;

/// A file beside `path` (the same file system, so a rename moves it), removed when dropped
/// unless it was moved away.
struct Beside(PathBuf);

impl Beside {
    fn new(path: &Path, what: &str) -> Beside {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        Beside(path.with_file_name(format!(".{name}.{what}-{}.tmp", crate::ids::new_id())))
    }
}

impl Drop for Beside {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// Packs `ws` into `dest`: refused while changes made here wait to be pushed, since the copy
/// would then hold more than the hub's operations up to its cursor.
pub fn pack(ws: &Workspace, dest: &Path) -> Result<Packed> {
    let copy = Beside::new(dest, "copy");
    // One read transaction: the copy is the workspace as it stood at one moment, whatever
    // another window commits meanwhile.
    ws.conn()
        .execute("VACUUM INTO ?1", [copy.0.to_string_lossy()])?;
    let packed = {
        let conn = Connection::open(&copy.0)?;
        let waiting: i64 = conn.query_row(super::WAITING, [], |r| r.get(0))?;
        if waiting > 0 {
            return Err(Error::Invalid(format!(
                "{waiting} changes made here wait to be pushed: sync first, then make the snapshot"
            )));
        }
        let seq: Option<i64> = conn
            .query_row("SELECT pulled_seq FROM hub", [], |r| r.get(0))
            .optional()?;
        let seq =
            seq.ok_or_else(|| Error::Invalid("this workspace is not connected to a hub".into()))?;
        let format: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        // What is this laptop's own stays here.
        conn.execute_batch(
            "UPDATE device SET signed_in_person_id = NULL;
             UPDATE hub SET last_sync_at = NULL, last_attempt_at = NULL, last_problem = NULL;",
        )?;
        Packed { seq, format }
    };
    let mut from = BufReader::new(File::open(&copy.0).map_err(io(&copy.0))?);
    let mut to = BufWriter::new(File::create(dest).map_err(io(dest))?);
    zstd::stream::copy_encode(&mut from, &mut to, LEVEL).map_err(io(dest))?;
    to.into_inner()
        .map_err(|e| io(dest)(e.into_error()))?
        .sync_all()
        .map_err(io(dest))?;
    Ok(packed)
}

/// Why a snapshot was not used; the laptop then replays every operation instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unused {
    /// The hub holds none yet.
    None,
    /// It was made by a newer Truce than this one.
    TooNew { format: i64 },
}

/// Makes the new, empty workspace at `path` a copy of the hub's workspace `workspace_id` from the
/// hub's latest snapshot, as the device `token` names; the caller then pulls what came after it.
/// `path` must not be open (it is replaced); `opts` are how it is opened meanwhile.
pub fn join(
    path: &Path,
    url: &str,
    workspace_id: &str,
    token: &str,
    opts: OpenOptions,
) -> Result<std::result::Result<Packed, Unused>> {
    let id = super::workspace_uuid(workspace_id)?;
    let device = {
        let ws = Workspace::open_with(path, opts.clone())?;
        super::refuse_own_changes(&ws)?;
        crate::device::device_id(ws.conn())?
    };
    let packed = Beside::new(path, "snapshot");
    let got = {
        let mut file = BufWriter::new(File::create(&packed.0).map_err(io(&packed.0))?);
        let got =
            truce_net::hub::get_snapshot(url, token, &id, &mut file).map_err(super::hub_error)?;
        file.into_inner()
            .map_err(|e| io(&packed.0)(e.into_error()))?;
        got
    };
    let Some(got) = got else {
        return Ok(Err(Unused::None));
    };
    if got.format > crate::migrations::LATEST {
        return Ok(Err(Unused::TooNew { format: got.format }));
    }
    let unpacked = Beside::new(path, "joining");
    {
        let mut from = BufReader::new(File::open(&packed.0).map_err(io(&packed.0))?);
        let mut to = BufWriter::new(File::create(&unpacked.0).map_err(io(&unpacked.0))?);
        zstd::stream::copy_decode(&mut from, &mut to).map_err(|e| {
            Error::Invalid(format!("{url}: the hub's snapshot does not unpack: {e}"))
        })?;
        to.into_inner()
            .map_err(|e| io(&unpacked.0)(e.into_error()))?;
    }
    drop(packed);
    let seq = adopt(&unpacked.0, url, &id, &device, opts)?;
    if seq != got.seq {
        return Err(Error::Invalid(format!(
            "{url}: the hub says its snapshot holds the operations up to {}, the snapshot says {seq}",
            got.seq
        )));
    }
    replace_file(&unpacked.0, path)?;
    Ok(Ok(Packed {
        seq,
        format: got.format,
    }))
}

/// Opens the unpacked snapshot at `path` (bringing it to this version if it is older), checks it
/// is the workspace asked for, and makes it this laptop's (`device`, the hub at `url`); answers
/// the cursor it holds.
fn adopt(
    path: &Path,
    url: &str,
    workspace_id: &str,
    device: &str,
    opts: OpenOptions,
) -> Result<i64> {
    let ws = Workspace::open_with(
        path,
        OpenOptions {
            create: false,
            ..opts
        },
    )
    .map_err(|e| Error::Invalid(format!("{url}: the hub's snapshot is not a workspace: {e}")))?;
    let (held, _) = super::identity(&ws)?;
    if held != workspace_id {
        return Err(Error::Invalid(format!(
            "{url}: the hub's snapshot is of workspace {held}, not {workspace_id}"
        )));
    }
    let seq: i64 = ws
        .conn()
        .query_row("SELECT pulled_seq FROM hub", [], |r| r.get(0))?;
    // This laptop's own rows, not recorded changes: nothing of them goes to the hub. Nothing
    // in the copy is this device's, so nothing in it waits to be pushed.
    ws.conn().execute_batch("BEGIN IMMEDIATE")?;
    let fixed = ws
        .conn()
        .execute(
            "UPDATE device SET id = ?1, signed_in_person_id = NULL",
            [device],
        )
        .and_then(|_| {
            ws.conn().execute(
        "UPDATE hub SET url = ?1, last_sync_at = NULL, last_attempt_at = NULL, last_problem = NULL,
                        pushed_seq = (SELECT coalesce(max(seq), 0) FROM change_log)",
        [url.trim().trim_end_matches('/')],
    )
        });
    match fixed {
        Ok(_) => ws.conn().execute_batch("COMMIT")?,
        Err(e) => {
            let _ = ws.conn().execute_batch("ROLLBACK");
            return Err(e.into());
        }
    }
    ws.into_single_file()?;
    Ok(seq)
}

/// Syncs `ws` until everything made here is at the hub, then gives the hub a snapshot of it to
/// join from (the hub takes one only from an admin's device); answers what it holds.
pub fn give(ws: &mut Workspace, token: &str) -> Result<Packed> {
    // A sync can regroup what it merged, which makes changes here: those go up in the next.
    for _ in 0..3 {
        super::sync(ws, token)?;
        if super::waiting(ws)? == 0 {
            break;
        }
    }
    let (url, workspace) = super::connected(ws)?;
    let file = Beside::new(ws.path(), "snapshot");
    let packed = pack(ws, &file.0)?;
    truce_net::hub::put_snapshot(&url, token, &workspace, packed.seq, packed.format, &file.0)
        .map_err(super::hub_error)?;
    Ok(packed)
}
