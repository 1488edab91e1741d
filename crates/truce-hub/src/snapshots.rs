//! Snapshots a new laptop joins from, so it does not replay millions of operations. A snapshot is
//! a workspace as it stood after merging exactly the operations numbered up to `seq` (a laptop
//! made it, `truce hub snapshot`); the hub keeps its bytes as they came, in chunks, and never
//! looks inside (it does not read SQLite). A joining laptop downloads the latest, then pulls the
//! operations after `seq` as usual.
//!
//! An upload is one transaction: a cut connection or a killed hub stores nothing, and the
//! snapshot before it stays the latest. Only an admin's device may upload: every laptop that
//! joins trusts what it holds.

use sha2::{Digest, Sha256};

use crate::ops::StoreError;
use crate::Pool;

/// The size of the pieces a snapshot is kept and sent in: small enough that the hub holds one
/// at a time per transfer, large enough that a gigabyte is a few hundred rows.
pub const CHUNK: usize = 4 << 20;

/// What a laptop needs to know about the latest snapshot before it reads one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub id: i64,
    /// The operations it holds: all those numbered up to `seq`.
    pub seq: i64,
    /// The version of the workspace inside (a laptop that cannot open it replays instead).
    pub format: i64,
    pub bytes: i64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// Why an upload was not kept, in words for the uploader.
pub enum Refused {
    /// The request is wrong (400).
    Bad(String),
    /// The snapshot is larger than the hub keeps (413).
    TooLarge(String),
    /// The database failed (503).
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::Store(e)
    }
}

impl From<tokio_postgres::Error> for Refused {
    fn from(e: tokio_postgres::Error) -> Self {
        Refused::Store(e.into())
    }
}

/// Where an upload stands while its pieces arrive.
pub struct Upload<'a> {
    tx: deadpool_postgres::Transaction<'a>,
    id: i64,
    pending: Vec<u8>,
    chunks: i32,
    bytes: u64,
    max_bytes: u64,
    hasher: Sha256,
}

/// A connection to upload through (an upload's transaction borrows it).
pub async fn connection(pool: &Pool) -> Result<deadpool_postgres::Object, StoreError> {
    Ok(pool.get().await?)
}

/// Starts an upload of `workspace`'s snapshot holding the operations up to `seq`, made by
/// `device`, at most `max_bytes` long. Refused if the hub has not numbered `seq` yet: a snapshot
/// cannot hold what the hub does not have.
pub async fn begin<'a>(
    client: &'a mut deadpool_postgres::Object,
    workspace: &str,
    device: &str,
    seq: i64,
    format: i64,
    max_bytes: u64,
) -> Result<Upload<'a>, Refused> {
    let tx = client.transaction().await?;
    let highest: i64 = tx
        .query_one(
            "SELECT coalesce(max(seq), 0) FROM ops WHERE workspace_id = $1",
            &[&workspace],
        )
        .await?
        .get(0);
    if seq < 0 || seq > highest {
        return Err(Refused::Bad(format!(
            "the snapshot says it holds the operations up to {seq}, but this workspace's are \
             numbered up to {highest}"
        )));
    }
    if format <= 0 {
        return Err(Refused::Bad(format!("{format} is not a workspace version")));
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO snapshots (workspace_id, seq, format, device) VALUES ($1, $2, $3, $4)
             RETURNING id",
            &[&workspace, &seq, &format, &device],
        )
        .await?
        .get(0);
    Ok(Upload {
        tx,
        id,
        pending: Vec::with_capacity(CHUNK),
        chunks: 0,
        bytes: 0,
        max_bytes,
        hasher: Sha256::new(),
    })
}

impl Upload<'_> {
    /// Takes the next piece of the body, storing whole chunks as they fill.
    pub async fn add(&mut self, mut piece: &[u8]) -> Result<(), Refused> {
        self.bytes += piece.len() as u64;
        if self.bytes > self.max_bytes {
            return Err(Refused::TooLarge(format!(
                "the snapshot is past {} MiB, the most this hub keeps",
                self.max_bytes >> 20
            )));
        }
        self.hasher.update(piece);
        while !piece.is_empty() {
            let room = CHUNK - self.pending.len();
            let (now, later) = piece.split_at(room.min(piece.len()));
            self.pending.extend_from_slice(now);
            piece = later;
            if self.pending.len() == CHUNK {
                self.store_chunk().await?;
            }
        }
        Ok(())
    }

    async fn store_chunk(&mut self) -> Result<(), Refused> {
        self.tx
            .execute(
                "INSERT INTO snapshot_chunks (snapshot, n, data) VALUES ($1, $2, $3)",
                &[&self.id, &self.chunks, &self.pending],
            )
            .await?;
        self.chunks += 1;
        self.pending.clear();
        Ok(())
    }

    /// Stores the last piece and makes the snapshot the workspace's latest. The one before it
    /// stays (a laptop may be reading it right now); older ones go.
    pub async fn finish(mut self, workspace: &str) -> Result<Snapshot, Refused> {
        if self.bytes == 0 {
            return Err(Refused::Bad("the snapshot is empty".into()));
        }
        if !self.pending.is_empty() {
            self.store_chunk().await?;
        }
        let sha256: String = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let bytes = self.bytes as i64;
        let row = self
            .tx
            .query_one(
                "UPDATE snapshots SET bytes = $2, sha256 = $3, complete = true WHERE id = $1
                 RETURNING seq, format",
                &[&self.id, &bytes, &sha256],
            )
            .await?;
        self.tx
            .execute(
                "DELETE FROM snapshots WHERE workspace_id = $1 AND id < (
                     SELECT max(id) FROM snapshots WHERE workspace_id = $1 AND id < $2)",
                &[&workspace, &self.id],
            )
            .await?;
        self.tx.commit().await?;
        Ok(Snapshot {
            id: self.id,
            seq: row.get(0),
            format: row.get(1),
            bytes,
            sha256,
        })
    }
}

/// The latest complete snapshot of `workspace`, if there is one.
pub async fn latest(pool: &Pool, workspace: &str) -> Result<Option<Snapshot>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, seq, format, bytes, sha256 FROM snapshots
             WHERE workspace_id = $1 AND complete ORDER BY id DESC LIMIT 1",
            &[&workspace],
        )
        .await?;
    Ok(row.map(|r| Snapshot {
        id: r.get(0),
        seq: r.get(1),
        format: r.get(2),
        bytes: r.get(3),
        sha256: r.get(4),
    }))
}

/// Piece `n` of snapshot `id`, if it has one.
pub async fn chunk(pool: &Pool, id: i64, n: i32) -> Result<Option<Vec<u8>>, StoreError> {
    let client = pool.get().await?;
    Ok(client
        .query_opt(
            "SELECT data FROM snapshot_chunks WHERE snapshot = $1 AND n = $2",
            &[&id, &n],
        )
        .await?
        .map(|r| r.get(0)))
}
