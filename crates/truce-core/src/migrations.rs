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
    include_str!("migrations/0018_times_in_milliseconds.sql"),
    include_str!("migrations/0019_evidence_compressed.sql"),
    include_str!("migrations/0020_checks_as_comparisons.sql"),
    include_str!("migrations/0021_hub.sql"),
    include_str!("migrations/0022_merge.sql"),
    include_str!("migrations/0023_sources.sql"),
    include_str!("migrations/0024_log_by_device.sql"),
    include_str!("migrations/0025_source_schedule.sql"),
    include_str!("migrations/0026_source_scope.sql"),
];

mod checks;

/// Steps SQL cannot do (UUIDv5 needs SHA-1), run after their version's SQL.
const RUST_STEPS: &[(i64, fn(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>)] = &[
    (17, derive_ids),
    (18, times_in_milliseconds),
    (19, compress_evidence),
    (20, checks::rewrite),
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
    // are dropped below anyway.
    let aggregates = lift_aggregates(tx)?;
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
    put_back(tx, &aggregates)
}

/// Drops the per-item aggregates' triggers for a rewrite of many rows, and answers their SQL as
/// the schema holds it, to be put back afterwards: no copy of a migration's text.
fn lift_aggregates(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<Vec<(String, String)>> {
    lift_triggers(tx, "work_item_stats\\_%")
}

/// Drops the triggers whose names are `LIKE` the pattern (`\\` escapes) and answers their SQL.
fn lift_triggers(
    tx: &rusqlite::Transaction<'_>,
    like: &str,
) -> rusqlite::Result<Vec<(String, String)>> {
    let lifted: Vec<(String, String)> = tx
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND name LIKE ?1 ESCAPE '\\'")?
        .query_map([like], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &lifted {
        tx.execute_batch(&format!("DROP TRIGGER \"{name}\";"))?;
    }
    Ok(lifted)
}

/// The instants the tables keep, by table: after migration 18 every one is written
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (`time`), so their text order is their time order.
const INSTANTS: &[(&str, &[&str])] = &[
    ("assets", &["created_at", "updated_at"]),
    ("imports", &["scanned_at", "imported_at"]),
    ("findings", &["first_seen", "last_seen", "closed_at"]),
    (
        "work_items",
        &["created_at", "updated_at", "occurrence_start"],
    ),
    ("change_windows", &["created_at", "updated_at"]),
    ("commitments", &["occurrence_start", "committed_at"]),
    (
        "exceptions",
        &[
            "expires_at",
            "created_at",
            "approved_at",
            "ended_at",
            "decided_at",
        ],
    ),
    ("import_scope", &["scanned_at"]),
    ("csv_mappings", &["created_at", "updated_at"]),
    ("vex_statements", &["at"]),
    ("work_item_stats", &["due_at"]),
    ("kev_source", &["imported_at"]),
    ("ownership_rules", &["created_at"]),
    ("change_log", &["at"]),
];

/// Migration 18: every stored instant in one precision, milliseconds. Before it a scan without a
/// time of its own was dated in milliseconds and everything else in seconds, and "…00.5Z" sorts
/// before "…00Z" as text. Text that is not an instant (a window's source dates, say) is left as
/// it is.
fn times_in_milliseconds(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let mut lifted = lift_aggregates(tx)?;
    lifted.extend(lift_log_guard(tx)?);
    for (table, columns) in INSTANTS {
        let set: Vec<String> = columns
            .iter()
            .map(|c| {
                format!(
                    "{c} = CASE WHEN {c} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'
                                 THEN coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', {c}), {c}) ELSE {c} END"
                )
            })
            .collect();
        tx.execute_batch(&format!("UPDATE {table} SET {};", set.join(", ")))?;
    }
    put_back(tx, &lifted)
}

/// Migration 19: the evidence its SQL moved aside (`finding_evidence_text`) compressed into the
/// new table, then the old one dropped. The fingerprints in `findings` are of the text and stay.
fn compress_evidence(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    {
        let mut read = tx.prepare("SELECT finding_id, text FROM finding_evidence_text")?;
        let mut write =
            tx.prepare("INSERT INTO finding_evidence (finding_id, zstd) VALUES (?1, ?2)")?;
        let mut packer = crate::ingest::evidence::Packer::new();
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let text: String = r.get(1)?;
            write.execute(rusqlite::params![id, packer.pack(&text).zstd])?;
        }
    }
    tx.execute_batch("DROP TABLE finding_evidence_text;")
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
    let guard = lift_log_guard(tx)?;
    tx.execute_batch(&format!(
        "UPDATE change_log SET entity_id = (SELECT new FROM temp.id_map WHERE old = change_log.entity_id)
           WHERE entity = '{entity}' AND entity_id IN (SELECT old FROM temp.id_map);"
    ))?;
    put_back(tx, &guard)
}

/// The log is append-only for everyone but a migration: its update guard, lifted.
fn lift_log_guard(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<Vec<(String, String)>> {
    lift_triggers(tx, "change\\_log\\_no\\_update")
}

/// Puts back triggers [`lift_triggers`] took away, from the SQL the schema held.
fn put_back(tx: &rusqlite::Transaction<'_>, lifted: &[(String, String)]) -> rusqlite::Result<()> {
    for (_, sql) in lifted {
        tx.execute_batch(sql)?;
    }
    Ok(())
}
