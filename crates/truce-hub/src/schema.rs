//! The hub's tables. The hub creates and migrates them itself when it starts, in one transaction
//! under an advisory lock, so several hub processes starting on one database do not race.

/// Each entry is one version; never edit a shipped one, add another.
const MIGRATIONS: &[&str] = &[
    // v1: operations as laptops recorded them, numbered in arrival order per hub (`seq`). A
    // device's hybrid logical clock never repeats on that device, so (device, hlc) names an
    // operation: pushing it again changes nothing.
    "CREATE TABLE ops (
        seq          BIGSERIAL PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        device       TEXT NOT NULL,
        hlc          BIGINT NOT NULL,
        actor        TEXT NOT NULL,
        entity       TEXT NOT NULL,
        entity_id    TEXT NOT NULL,
        field        TEXT NOT NULL,
        old_value    JSONB,
        new_value    JSONB,
        at           TEXT NOT NULL,
        reason       TEXT,
        received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, device, hlc)
    );
    CREATE INDEX ops_by_workspace ON ops (workspace_id, seq);",
    // v2: the laptops allowed in, one token each, kept only as its SHA-256; revoking keeps the
    // row (the history names the device).
    "CREATE TABLE devices (
        id           TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        person       TEXT NOT NULL,
        role         TEXT NOT NULL CHECK (role = 'admin' OR role = 'security' OR role = 'ops'
                                          OR role = 'cab' OR role = 'viewer'),
        token_sha256 BYTEA NOT NULL UNIQUE,
        issued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        revoked_at   TIMESTAMPTZ
    );",
    // v3: snapshots a new laptop joins from (`snapshots`): a workspace's bytes as a laptop made
    // them after merging the operations up to `seq`, kept in chunks; only complete ones are
    // handed out.
    "CREATE TABLE snapshots (
        id           BIGSERIAL PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        seq          BIGINT NOT NULL,
        format       BIGINT NOT NULL,
        device       TEXT NOT NULL,
        bytes        BIGINT NOT NULL DEFAULT 0,
        sha256       TEXT NOT NULL DEFAULT '',
        complete     BOOLEAN NOT NULL DEFAULT false,
        made_at      TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX snapshots_by_workspace ON snapshots (workspace_id, id);
    CREATE TABLE snapshot_chunks (
        snapshot BIGINT NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
        n        INT NOT NULL,
        data     BYTEA NOT NULL,
        PRIMARY KEY (snapshot, n)
    );",
];

/// The version this build writes.
pub const LATEST: i32 = MIGRATIONS.len() as i32;

/// Brings the database to [`LATEST`]; refuses a database a newer hub has migrated.
pub async fn migrate(pool: &crate::Pool) -> Result<i32, String> {
    let mut client = pool.get().await.map_err(|e| format!("database: {e}"))?;
    let tx = client
        .transaction()
        .await
        .map_err(|e| format!("database: {e}"))?;
    let db = |e: tokio_postgres::Error| format!("migrating the hub's database: {e}");
    // One migrating process at a time; the others wait, then find nothing to do.
    tx.execute("SELECT pg_advisory_xact_lock(7426178)", &[])
        .await
        .map_err(db)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS hub_schema (version INT NOT NULL)")
        .await
        .map_err(db)?;
    let version: i32 = tx
        .query_opt("SELECT version FROM hub_schema", &[])
        .await
        .map_err(db)?
        .map_or(0, |r| r.get(0));
    if version > LATEST {
        return Err(format!(
            "the database was migrated by a newer hub (version {version}, this build knows up to {LATEST})"
        ));
    }
    for sql in &MIGRATIONS[version as usize..] {
        tx.batch_execute(sql).await.map_err(db)?;
    }
    tx.execute("DELETE FROM hub_schema", &[])
        .await
        .map_err(db)?;
    tx.execute("INSERT INTO hub_schema (version) VALUES ($1)", &[&LATEST])
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(LATEST)
}
