//! Forward-only schema migrations. `PRAGMA user_version` holds how many have run.
//! Never edit a shipped migration: add a new one, and a test opens workspaces
//! created at every earlier version.

pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_inventory.sql"),
    include_str!("migrations/0002_planning.sql"),
    include_str!("migrations/0003_rescans.sql"),
    include_str!("migrations/0004_csv_mappings.sql"),
    include_str!("migrations/0005_vex_statements.sql"),
    include_str!("migrations/0006_windows.sql"),
    include_str!("migrations/0007_accountability.sql"),
    include_str!("migrations/0008_item_stats.sql"),
    include_str!("migrations/0009_items_by_window.sql"),
    include_str!("migrations/0010_device.sql"),
    include_str!("migrations/0011_kev.sql"),
    include_str!("migrations/0012_ownership_by_any_fact.sql"),
    include_str!("migrations/0013_default_capacity.sql"),
    include_str!("migrations/0014_group_by_os_family.sql"),
    include_str!("migrations/0015_drop_item_due_at.sql"),
    include_str!("migrations/0016_one_write_path.sql"),
];

/// From this version on, shared tables record every write (`changes`).
const RECORDING_SINCE: i64 = 16;

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Runs migrations `from+1 ..= to` on `tx`. The caller owns the transaction, so a
/// failure half-way leaves the file at `from`.
pub fn apply(tx: &rusqlite::Transaction<'_>, from: i64, to: i64) -> rusqlite::Result<()> {
    // A migration is the same rewrite on every laptop, nobody's change: it is not recorded.
    crate::changes::remove(tx)?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version > from && version <= to {
            tx.execute_batch(sql)?;
        }
    }
    if to >= RECORDING_SINCE {
        crate::changes::install(tx)?;
    }
    tx.pragma_update(None, "user_version", to)?;
    Ok(())
}
