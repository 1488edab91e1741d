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
    include_str!("migrations/0017_derived_ids.sql"),
];

/// Steps SQL cannot do (UUIDv5 needs SHA-1), run after their version's SQL.
const RUST_STEPS: &[(i64, fn(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>)] =
    &[(17, derive_ids)];

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
            for (_, step) in RUST_STEPS.iter().filter(|(v, _)| *v == version) {
                step(tx)?;
            }
        }
    }
    if to >= RECORDING_SINCE {
        crate::changes::install(tx)?;
    }
    tx.pragma_update(None, "user_version", to)?;
    Ok(())
}

/// Migration 17: scanner facts get ids derived from their natural keys (`ids::derived`), and
/// every column that references them follows, found from the schema's foreign keys so none is
/// missed. Foreign keys are checked at commit, when parents and children agree again.
fn derive_ids(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let ns = crate::ids::namespace(tx)?;
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    // The aggregates' triggers would run for each of a million rewritten rows; the aggregates
    // are dropped below anyway. They are lifted and put back from the schema's own SQL.
    let aggregates: Vec<(String, String)> = tx
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'work_item_stats\\_%' ESCAPE '\\'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &aggregates {
        tx.execute_batch(&format!("DROP TRIGGER \"{name}\";"))?;
    }
    tx.execute_batch(
        "CREATE TEMP TABLE id_map (old TEXT PRIMARY KEY, new TEXT NOT NULL) WITHOUT ROWID;",
    )?;
    // In this order: by the findings' turn, their asset and vulnerability ids are the new ones.
    let keyed: [(&str, &str, &str); 3] = [
        ("vulnerabilities", "vulnerability", "SELECT id, scanner, scanner_id, '' FROM vulnerabilities"),
        (
            "assets",
            "asset",
            "SELECT a.id, coalesce((SELECT kind || '=' || value FROM asset_identifiers i WHERE i.asset_id = a.id
                                     ORDER BY kind, value LIMIT 1), a.name), '', '' FROM assets a",
        ),
        (
            "findings",
            "finding",
            "SELECT id, asset_id, vulnerability_id, location FROM findings",
        ),
    ];
    for (table, kind, key_sql) in keyed {
        tx.execute("DELETE FROM temp.id_map", [])?;
        let rows: Vec<(String, String, String, String)> = tx
            .prepare(key_sql)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        {
            let mut put = tx.prepare("INSERT INTO temp.id_map (old, new) VALUES (?1, ?2)")?;
            for (old, a, b, c) in &rows {
                let parts: Vec<&str> = match kind {
                    "asset" => vec![a.as_str()],
                    "vulnerability" => vec![a.as_str(), b.as_str()],
                    _ => vec![a.as_str(), b.as_str(), c.as_str()],
                };
                let new = match kind {
                    "finding" => crate::ids::derived_within(&ns, a, kind, &parts),
                    _ => crate::ids::derived(&ns, kind, &parts),
                };
                put.execute([old, &new])?;
            }
        }
        rewrite(tx, table)?;
    }
    // Aggregates name assets: recounted when next read.
    tx.execute_batch(
        "DELETE FROM work_item_stats;
         DROP TABLE temp.id_map;",
    )?;
    for (_, sql) in &aggregates {
        tx.execute_batch(sql)?;
    }
    Ok(())
}

/// Rewrites `table`'s ids through `temp.id_map`, the columns that reference them, and the
/// history's entity ids (the log is append-only for everyone but a migration).
fn rewrite(tx: &rusqlite::Transaction<'_>, table: &str) -> rusqlite::Result<()> {
    // A join, not a lookup per row: a million findings are rewritten in seconds.
    let set = |t: &str, col: &str| {
        format!("UPDATE {t} SET {col} = m.new FROM temp.id_map m WHERE {t}.{col} = m.old;")
    };
    let references: Vec<(String, String)> = tx
        .prepare(
            "SELECT m.name, p.\"from\" FROM sqlite_schema m, pragma_foreign_key_list(m.name) p
             WHERE m.type = 'table' AND p.\"table\" = ?1",
        )?
        .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute_batch(&set(table, "id"))?;
    for (t, col) in references {
        tx.execute_batch(&set(&t, &col))?;
    }
    let entity = match table {
        "vulnerabilities" => "vulnerability",
        "assets" => "asset",
        _ => "finding",
    };
    tx.execute_batch(&format!(
        "DROP TRIGGER change_log_no_update;
         UPDATE change_log SET entity_id = (SELECT new FROM temp.id_map WHERE old = change_log.entity_id)
           WHERE entity = '{entity}' AND entity_id IN (SELECT old FROM temp.id_map);
         CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
           BEGIN SELECT RAISE(ABORT, 'change_log is append-only'); END;"
    ))?;
    Ok(())
}
