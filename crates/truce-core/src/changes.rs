//! The one write path's record: every row written to a shared table is logged in the same
//! transaction, by the schema itself.
//!
//! Each recorded table carries three triggers (made by [`install`], which the migrations run
//! after every upgrade): a created row is logged whole (`field = 'created'`, its values as a JSON
//! array in column order: the names would double an import's log), a changed row one record per
//! changed column (old and new value, types kept), a deleted row whole (`field = 'deleted'`). Every record is stamped from the connection's context, through SQL
//! functions this module registers: the person acting, this laptop's device id, the transaction's
//! time and a hybrid logical clock that never goes backwards on this device, and the reason the
//! caller gave ([`because`]). A write that goes around Truce (an SQLite shell) cannot record and
//! fails: the functions exist only on Truce's connections.
//!
//! Tables that are not recorded say why in [`UNRECORDED`]: a cache rebuilt from recorded rows,
//! this laptop's own state, or content logged through a hash on its row.
//!
//! Notes ([`note`]) are records for people that change no row (how many findings a regroup moved);
//! [`replay`] skips them.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rusqlite::functions::FunctionFlags;
use rusqlite::{params, Connection};

use crate::clock::Clock;
use crate::error::Result;

/// Recorded tables and the entity name their records carry (the users' word for one row).
pub const RECORDED: &[(&str, &str)] = &[
    ("assets", "asset"),
    ("asset_identifiers", "asset_identifier"),
    ("asset_tags", "asset_tag"),
    ("change_windows", "change_window"),
    ("commitments", "commitment"),
    ("csv_mappings", "csv_mapping"),
    ("exception_policies", "exception_policy"),
    ("exceptions", "exception"),
    ("findings", "finding"),
    ("grouping_rules", "grouping_rule"),
    ("import_scope", "import_scope"),
    ("imports", "import"),
    ("kev_catalog", "kev_entry"),
    ("kev_source", "kev_source"),
    ("ownership_rules", "ownership_rule"),
    ("people", "person"),
    ("sla_policies", "sla_policy"),
    ("teams", "team"),
    ("vex_statements", "vex_statement"),
    ("vulnerabilities", "vulnerability"),
    ("vulnerability_cves", "vulnerability_cve"),
    ("window_defaults", "window_defaults"),
    ("work_items", "work_item"),
    ("work_item_findings", "work_item_finding"),
];

/// Tables whose new rows are recorded by the one function that inserts them, set-based, after each
/// batch ([`InsertRecorder`]), not row by row: a trigger costs some microseconds per row, and an
/// import inserts a hundred thousand findings. Nothing else inserts findings (the import's writer
/// is their only author); updates and deletes are recorded by trigger as everywhere.
pub const INSERTED_IN_BULK: &[&str] = &["findings"];

/// Columns some one function updates alone, in bulk, and records itself ([`record_fields`]): a
/// trigger watches every other column of the table (`AFTER UPDATE OF`), so a statement that sets
/// only these runs none. A rescan sees most findings again and changes nothing but these two.
pub const UPDATED_IN_BULK: &[(&str, &[&str])] = &[("findings", &["last_seen", "last_import_id"])];

/// Records field changes (entity id, field, old, new) written by a bulk updater, 64 to a
/// statement, stamped as a trigger would stamp them.
pub fn record_fields(
    conn: &Connection,
    entity: &str,
    changes: &[(String, &str, Option<String>, String)],
) -> Result<()> {
    const ROW: &str =
        "(?, ?, ?, ?, ?, truce_actor(), truce_device(), truce_hlc(), truce_at(), truce_reason())";
    for chunk in changes.chunks(64) {
        let sql = format!("{INTO} VALUES {}", vec![ROW; chunk.len()].join(", "));
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 5);
        for (id, field, old, new) in chunk {
            values.extend_from_slice(&[&entity, id, field, old, new]);
        }
        conn.prepare_cached(&sql)?.execute(values.as_slice())?;
    }
    Ok(())
}

/// Records the creation of the rows a batch inserts into one of [`INSERTED_IN_BULK`], in one
/// statement each, stamped as a trigger would stamp them. Made once per import: the statement
/// depends only on the table's columns.
pub struct InsertRecorder {
    table: &'static str,
    sql: String,
}

impl InsertRecorder {
    pub fn new(conn: &Connection, table: &'static str) -> Result<InsertRecorder> {
        let Some((_, entity)) = RECORDED.iter().find(|(t, _)| *t == table) else {
            return Err(crate::Error::Invalid(format!("'{table}' is not recorded")));
        };
        let (cols, key) = columns(conn, table)?;
        let sql = format!(
            "{INTO} SELECT '{entity}', {}, 'created', NULL, {}, {STAMP} FROM {table} AS r
             WHERE r.rowid > ?1 ORDER BY r.rowid",
            key_sql(&key, "r"),
            row_json(&cols, "r")
        );
        Ok(InsertRecorder { table, sql })
    }

    /// The table's largest rowid (0 when empty): where the rows a batch inserts begin.
    pub fn mark(&self, conn: &Connection) -> Result<i64> {
        Ok(conn
            .prepare_cached(&format!(
                "SELECT coalesce(max(rowid), 0) FROM {}",
                self.table
            ))?
            .query_row([], |r| r.get(0))?)
    }

    /// Records every row inserted after `mark`.
    pub fn record(&self, conn: &Connection, mark: i64) -> Result<()> {
        conn.prepare_cached(&self.sql)?.execute([mark])?;
        Ok(())
    }
}

/// Tables written without a record, and why that loses nothing.
pub const UNRECORDED: &[(&str, &str)] = &[
    ("change_log", "the record itself (append-only)"),
    ("sqlite_sequence", "SQLite's own counter"),
    (
        "device",
        "this laptop's id and who is signed in here: never shared",
    ),
    (
        "hub",
        "this laptop's connection to a team hub and how far it has synced: never shared",
    ),
    (
        "workspace",
        "the namespace of derived ids, made once (a hub gives its own to a laptop that joins)",
    ),
    (
        "sources",
        "the scanners' APIs this laptop syncs from and how far: its own configuration, never shared",
    ),
    (
        "field_clocks",
        "which record last set each field: rebuilt from the change log when a workspace syncs",
    ),
    (
        "sync_conflicts",
        "two records of the log that crossed, found here when the second was pulled: this laptop's view",
    ),
    (
        "work_item_stats",
        "per-item aggregates kept by triggers from recorded rows",
    ),
    (
        "finding_evidence",
        "a finding's evidence text, recorded through the finding's evidence_hash",
    ),
];

/// Memberships of items nobody has pinned are the grouping rules applied to the findings (both
/// recorded): a regroup rewrites them, and logging a million of them would cost seconds each
/// import. Memberships of pinned items (a person's split or merge) are decisions and recorded.
const MEMBERSHIP_RECORDED_WHEN: &str =
    "EXISTS (SELECT 1 FROM work_items w WHERE w.id = {row}.work_item_id AND w.pinned)";

/// What every record of this connection is stamped with.
struct Stamp {
    clock: Arc<dyn Clock>,
    actor: String,
    /// Who acts in the open transaction when the caller named someone else ([`acting`]).
    acting: Option<String>,
    device: String,
    /// The time of the open write transaction (fixed for all its records) and its text, else none.
    at: Option<(DateTime<Utc>, String)>,
    reason: Option<String>,
    /// The last hybrid logical clock value given out: milliseconds << 16 | counter.
    hlc: i64,
    /// False while another laptop's records are applied (`sync`): they are logged as they were
    /// made, not as this laptop's changes.
    recording: bool,
    /// The last change-log record whose clock this connection has observed ([`Ctx::catch_up`]).
    seen_seq: i64,
}

impl Stamp {
    fn now(&self) -> DateTime<Utc> {
        self.at
            .as_ref()
            .map_or_else(|| self.clock.now(), |(t, _)| *t)
    }

    fn now_text(&self) -> String {
        self.at
            .as_ref()
            .map_or_else(|| text(self.clock.now()), |(_, s)| s.clone())
    }

    fn next_hlc(&mut self) -> i64 {
        let physical = self.now().timestamp_millis() << 16;
        self.hlc = physical.max(self.hlc + 1);
        self.hlc
    }
}

/// The context a workspace connection writes with: who, which device, and the clock.
#[derive(Clone)]
pub struct Ctx(Arc<Mutex<Stamp>>);

impl Ctx {
    pub(crate) fn new(clock: Arc<dyn Clock>, actor: String) -> Self {
        Ctx(Arc::new(Mutex::new(Stamp {
            clock,
            actor,
            acting: None,
            device: String::new(),
            at: None,
            reason: None,
            hlc: 0,
            recording: true,
            seen_seq: 0,
        })))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Stamp) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.with(|s| s.now())
    }

    pub fn actor(&self) -> String {
        self.with(|s| s.actor.clone())
    }

    /// Who the records being written now name.
    fn acting_now(&self) -> String {
        self.with(|s| s.acting.clone().unwrap_or_else(|| s.actor.clone()))
    }

    pub fn device(&self) -> String {
        self.with(|s| s.device.clone())
    }

    pub(crate) fn set_actor(&self, actor: String) {
        self.with(|s| s.actor = actor);
    }

    pub(crate) fn set_device(&self, device: String) {
        self.with(|s| s.device = device);
    }

    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.with(|s| s.clock.clone())
    }

    /// Starts a transaction's stamp: one time for all its records, no reason yet.
    pub(crate) fn begin(&self) {
        self.with(|s| {
            let now = s.clock.now();
            s.at = Some((now, text(now)));
            s.reason = None;
            s.acting = None;
        });
    }

    fn end(&self) {
        self.with(|s| {
            s.at = None;
            s.reason = None;
            s.acting = None;
        });
    }

    /// Registers the stamping functions on `conn`, and ends the stamp at commit or rollback.
    pub(crate) fn attach(&self, conn: &Connection) -> rusqlite::Result<()> {
        let flags = FunctionFlags::SQLITE_UTF8;
        let c = self.clone();
        conn.create_scalar_function("truce_actor", 0, flags, move |_| Ok(c.acting_now()))?;
        let c = self.clone();
        conn.create_scalar_function("truce_recording", 0, flags, move |_| {
            Ok(c.with(|s| s.recording))
        })?;
        let c = self.clone();
        conn.create_scalar_function("truce_acting", 1, flags, move |ctx| {
            let actor: Option<String> = ctx.get(0)?;
            c.with(|s| s.acting = actor);
            Ok(None::<String>)
        })?;
        let c = self.clone();
        conn.create_scalar_function("truce_device", 0, flags, move |_| Ok(c.device()))?;
        let c = self.clone();
        conn.create_scalar_function("truce_at", 0, flags, move |_| Ok(c.with(|s| s.now_text())))?;
        let c = self.clone();
        conn.create_scalar_function("truce_hlc", 0, flags, move |_| Ok(c.with(|s| s.next_hlc())))?;
        let c = self.clone();
        conn.create_scalar_function("truce_reason", 0, flags, move |_| {
            Ok(c.with(|s| s.reason.clone()))
        })?;
        let c = self.clone();
        conn.create_scalar_function("truce_because", 1, flags, move |ctx| {
            let reason: Option<String> = ctx.get(0)?;
            c.with(|s| s.reason = reason);
            Ok(None::<String>)
        })?;
        let c = self.clone();
        conn.commit_hook(Some(move || {
            c.end();
            false
        }));
        let c = self.clone();
        conn.rollback_hook(Some(move || c.end()));
        Ok(())
    }

    /// Reads the last clock value this device gave out, and the highest it has seen from other
    /// devices, so it never goes backwards, even when the system clock does, and a change made
    /// here after seeing another's orders after it.
    pub(crate) fn resume(&self, conn: &Connection) -> rusqlite::Result<()> {
        // The device's id bound as a value, so the lookup is one step down `change_log_by_device`.
        let device = self.with(|s| s.device.clone());
        let last: Option<i64> = conn.query_row(
            "SELECT max(coalesce((SELECT max(hlc) FROM change_log WHERE device = ?1), 0),
                        coalesce((SELECT seen_hlc FROM hub), 0))",
            [device],
            |r| r.get(0),
        )?;
        self.observe(last.unwrap_or(0));
        let seq: Option<i64> =
            conn.query_row("SELECT max(seq) FROM change_log", [], |r| r.get(0))?;
        self.with(|s| s.seen_seq = s.seen_seq.max(seq.unwrap_or(0)));
        Ok(())
    }

    /// A clock value seen from another device: the next one given out here is later.
    pub(crate) fn observe(&self, hlc: i64) {
        self.with(|s| s.hlc = s.hlc.max(hlc));
    }

    /// Observes the clocks of the records the log gained since this connection last looked
    /// (written by another process, or merged from another laptop): a range of the log's rowids,
    /// usually empty. Called at the start of every write transaction, under its lock.
    pub(crate) fn catch_up(&self, conn: &Connection) -> rusqlite::Result<()> {
        let since = self.with(|s| s.seen_seq);
        let (hlc, seq): (Option<i64>, Option<i64>) = conn
            .prepare_cached("SELECT max(hlc), max(seq) FROM change_log WHERE seq > ?1")?
            .query_row([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        self.with(|s| {
            s.hlc = s.hlc.max(hlc.unwrap_or(0));
            s.seen_seq = s.seen_seq.max(seq.unwrap_or(0));
        });
        Ok(())
    }

    /// Applies another laptop's records with the recording triggers quiet (they are logged by
    /// the caller as they were made); recording is back on when `f` returns, whatever it did.
    pub(crate) fn quietly<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Back<'a>(&'a Ctx);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                self.0.with(|s| s.recording = true);
            }
        }
        self.with(|s| s.recording = false);
        let _back = Back(self);
        f()
    }
}

/// Time as the log and every table store it (`ids::utc_text`).
fn text(t: DateTime<Utc>) -> String {
    crate::ids::utc_text(t)
}

/// The reason the next records of this transaction carry (until another is given).
pub fn because<'a>(conn: &Connection, reason: impl Into<Option<&'a str>>) -> Result<()> {
    conn.prepare_cached("SELECT truce_because(?1)")?
        .query_row([reason.into()], |_| Ok(()))?;
    Ok(())
}

/// Who the next records of this transaction name, when it is not the workspace's actor (an
/// import run as someone, the CLI's `--as` passed down as a parameter).
pub fn acting(conn: &Connection, actor: &str) -> Result<()> {
    conn.prepare_cached("SELECT truce_acting(?1)")?
        .query_row([actor], |_| Ok(()))?;
    Ok(())
}

/// The current transaction's time (the context's clock), as the log and the rows' own time
/// columns keep it (`ids::utc_text`, milliseconds).
pub fn now(conn: &Connection) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT truce_at()")?
        .query_row([], |r| r.get(0))?)
}

/// [`now`] as a time.
pub fn now_time(conn: &Connection) -> Result<DateTime<Utc>> {
    let text = now(conn)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.to_utc())
        .map_err(|e| crate::Error::Invalid(format!("clock: {e}")))
}

/// A record for people that changes no row: what a regroup moved, what a catalog import brought.
pub fn note(
    conn: &Connection,
    entity: &str,
    entity_id: &str,
    field: &str,
    value: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO change_log (entity, entity_id, field, old_value, new_value, actor, device, hlc, at, reason, note)
         VALUES (?1, ?2, ?3, NULL, ?4, truce_actor(), truce_device(), truce_hlc(), truce_at(), coalesce(?5, truce_reason()), 1)",
    )?
    .execute(params![entity, entity_id, field, value, reason])?;
    Ok(())
}

/// (Re)creates the recording triggers from the tables as they now are. Run by the migrations
/// after every upgrade, so a column added later is recorded too.
pub fn install(conn: &Connection) -> rusqlite::Result<()> {
    remove(conn)?;
    for (table, entity) in RECORDED {
        conn.execute_batch(&triggers(conn, table, entity)?)?;
    }
    Ok(())
}

/// Drops the recording triggers: a migration rewrites rows the same way on every laptop, and is
/// no one's change.
pub fn remove(conn: &Connection) -> rusqlite::Result<()> {
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'record\\_%' ESCAPE '\\'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for name in names {
        conn.execute_batch(&format!("DROP TRIGGER \"{name}\";"))?;
    }
    Ok(())
}

/// A table's columns, and which of them make its key (in key order).
pub(crate) fn columns(
    conn: &Connection,
    table: &str,
) -> rusqlite::Result<(Vec<String>, Vec<String>)> {
    let mut cols = Vec::new();
    let mut key: Vec<(i64, String)> = Vec::new();
    let mut stmt = conn.prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")?;
    for row in stmt.query_map([table], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })? {
        let (name, pk) = row?;
        if pk > 0 {
            key.push((pk, name.clone()));
        }
        cols.push(name);
    }
    key.sort();
    Ok((cols, key.into_iter().map(|(_, n)| n).collect()))
}

/// The entity id of a row: its key, or the JSON array of a composite key.
fn key_sql(key: &[String], row: &str) -> String {
    match key {
        [one] => format!("CAST({row}.\"{one}\" AS TEXT)"),
        many => format!(
            "json_array({})",
            many.iter()
                .map(|k| format!("{row}.\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A row's values in column order. Columns are only ever added at the end (ALTER TABLE ADD
/// COLUMN), so an older record is a prefix of today's columns.
fn row_json(cols: &[String], row: &str) -> String {
    format!(
        "json_array({})",
        cols.iter()
            .map(|c| format!("{row}.\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The condition under which SQLite can use the log's entity index (migration 16): a query for an
/// entity's history adds it.
pub const HISTORY_SQL: &str = "entity NOT IN ('finding', 'vulnerability', 'vulnerability_cve', 'asset_identifier', 'import_scope', 'kev_entry')";

/// Every recording trigger's condition: off while another laptop's records are applied.
const RECORDING: &str = "truce_recording()";

const STAMP: &str = "truce_actor(), truce_device(), truce_hlc(), truce_at(), truce_reason()";
const INTO: &str =
    "INSERT INTO change_log (entity, entity_id, field, old_value, new_value, actor, device, hlc, at, reason)";

fn triggers(conn: &Connection, table: &str, entity: &str) -> rusqlite::Result<String> {
    let (cols, key) = columns(conn, table)?;
    // Key columns last: a changed key is applied after the other fields, which find the row
    // by its old key.
    let mut ordered: Vec<&String> = cols.iter().filter(|c| !key.contains(c)).collect();
    ordered.extend(key.iter());
    if table == "work_item_findings" {
        return Ok(membership_triggers(&cols, &key, entity));
    }
    let changed = ordered
        .iter()
        .map(|c| format!("SELECT '{c}' AS f, OLD.\"{c}\" AS o, NEW.\"{c}\" AS n WHERE OLD.\"{c}\" IS NOT NEW.\"{c}\""))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let insert = if INSERTED_IN_BULK.contains(&table) {
        String::new()
    } else {
        format!(
            "CREATE TRIGGER record_{table}_insert AFTER INSERT ON {table} WHEN {RECORDING} BEGIN
               {INTO} VALUES ('{entity}', {}, 'created', NULL, {}, {STAMP});
             END;",
            key_sql(&key, "NEW"),
            row_json(&cols, "NEW")
        )
    };
    // Columns a bulk updater records itself are left out of what the trigger watches.
    let watched = match UPDATED_IN_BULK.iter().find(|(t, _)| *t == table) {
        Some((_, alone)) => format!(
            " OF {}",
            cols.iter()
                .filter(|c| !alone.contains(&c.as_str()))
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => String::new(),
    };
    Ok(format!(
        "{insert}
         CREATE TRIGGER record_{table}_update AFTER UPDATE{watched} ON {table} WHEN {RECORDING} BEGIN
           {INTO} SELECT '{entity}', {ko}, f, o, n, {STAMP} FROM ({changed});
         END;
         CREATE TRIGGER record_{table}_delete AFTER DELETE ON {table} WHEN {RECORDING} BEGIN
           {INTO} VALUES ('{entity}', {ko}, 'deleted', {jo}, NULL, {STAMP});
         END;",
        ko = key_sql(&key, "OLD"),
        jo = row_json(&cols, "OLD"),
    ))
}

/// A membership is recorded while its item is pinned: moving a finding from an unpinned item to a
/// pinned one records its creation, the other way its deletion, and pinning an item records the
/// memberships it has then, so a replay never looks for a row that was not recorded.
fn membership_triggers(cols: &[String], key: &[String], entity: &str) -> String {
    let pinned = |row: &str| {
        format!(
            "{RECORDING} AND {}",
            MEMBERSHIP_RECORDED_WHEN.replace("{row}", row)
        )
    };
    let created = |row: &str| {
        format!(
            "{INTO} SELECT '{entity}', {}, 'created', NULL, {}, {STAMP} WHERE {};",
            key_sql(key, row),
            row_json(cols, row),
            pinned(row)
        )
    };
    let deleted = |row: &str| {
        format!(
            "{INTO} SELECT '{entity}', {}, 'deleted', {}, NULL, {STAMP} WHERE {};",
            key_sql(key, row),
            row_json(cols, row),
            pinned(row)
        )
    };
    format!(
        "CREATE TRIGGER record_work_item_findings_insert AFTER INSERT ON work_item_findings WHEN {pn} BEGIN {cn} END;
         CREATE TRIGGER record_work_item_findings_update AFTER UPDATE ON work_item_findings
           WHEN {po} OR {pn} BEGIN {do_} {cn} END;
         CREATE TRIGGER record_work_item_findings_delete AFTER DELETE ON work_item_findings WHEN {po} BEGIN {do_} END;
         CREATE TRIGGER record_work_item_findings_pin AFTER UPDATE OF pinned ON work_items
           WHEN {RECORDING} AND NEW.pinned AND NOT OLD.pinned BEGIN
           {INTO} SELECT '{entity}', {km}, 'created', NULL, {jm}, {STAMP}
             FROM work_item_findings m WHERE m.work_item_id = NEW.id;
         END;",
        km = key_sql(key, "m"),
        jm = row_json(cols, "m"),
        pn = pinned("NEW"),
        po = pinned("OLD"),
        cn = created("NEW"),
        do_ = deleted("OLD"),
    )
}

/// A created or deleted row's record (its values in column order) with the column names: for
/// histories and for reading the log.
pub fn named(
    conn: &Connection,
    entity: &str,
    values: &str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let Some((table, _)) = RECORDED.iter().find(|(_, e)| *e == entity) else {
        return Err(crate::Error::Invalid(format!("unknown entity '{entity}'")));
    };
    let (cols, _) = columns(conn, table)?;
    let row: Vec<serde_json::Value> =
        serde_json::from_str(values).map_err(|e| crate::Error::Invalid(e.to_string()))?;
    Ok(cols.into_iter().zip(row).collect())
}

/// One row record, as [`replay`] applies it.
#[derive(Debug, Clone)]
pub struct RowChange {
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    pub old: rusqlite::types::Value,
    pub new: rusqlite::types::Value,
}

/// The row records after `seq`, in order (notes left out, and records pulled from a hub that
/// arrived after a later change to their field).
pub fn since(conn: &Connection, seq: i64) -> Result<Vec<RowChange>> {
    let mut stmt = conn.prepare(
        "SELECT entity, entity_id, field, old_value, new_value FROM change_log
         WHERE seq > ?1 AND note = 0 AND lost = 0 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([seq], |r| {
            Ok(RowChange {
                entity: r.get(0)?,
                entity_id: r.get(1)?,
                field: r.get(2)?,
                old: r.get(3)?,
                new: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Applies row records to `conn` (whose recording triggers are off): the same rows result as
/// where they were made. The hub's merge builds on this; a test uses it to prove that no write
/// escapes the log.
pub fn replay(conn: &Connection, changes: &[RowChange]) -> Result<()> {
    use rusqlite::types::Value;
    let mut shapes: std::collections::HashMap<&str, (Vec<String>, Vec<String>)> =
        std::collections::HashMap::new();
    for c in changes {
        let Some((table, _)) = RECORDED.iter().find(|(_, e)| *e == c.entity) else {
            return Err(crate::Error::Invalid(format!(
                "unknown entity '{}'",
                c.entity
            )));
        };
        if !shapes.contains_key(table) {
            shapes.insert(table, columns(conn, table)?);
        }
        let (cols, key) = &shapes[table];
        let key_values: Vec<Value> = if key.len() == 1 {
            vec![Value::Text(c.entity_id.clone())]
        } else {
            let parts: Vec<serde_json::Value> = serde_json::from_str(&c.entity_id)
                .map_err(|e| crate::Error::Invalid(format!("bad key {}: {e}", c.entity_id)))?;
            parts.into_iter().map(json_value).collect()
        };
        // The key's parameters follow `first - 1` others.
        let key_where = |first: usize| {
            key.iter()
                .enumerate()
                .map(|(i, k)| format!("\"{k}\" = ?{}", i + first))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        match c.field.as_str() {
            "created" => {
                let Value::Text(json) = &c.new else {
                    return Err(crate::Error::Invalid("created without a row".into()));
                };
                let row: Vec<serde_json::Value> =
                    serde_json::from_str(json).map_err(|e| crate::Error::Invalid(e.to_string()))?;
                if row.len() > cols.len() {
                    return Err(crate::Error::Invalid(format!(
                        "a {} row of {} values; the table has {} columns",
                        c.entity,
                        row.len(),
                        cols.len()
                    )));
                }
                let names: Vec<&String> = cols.iter().take(row.len()).collect();
                // An upsert, never REPLACE: replacing would delete the row and cascade to its
                // children.
                let set: Vec<String> = names
                    .iter()
                    .filter(|n| !key.contains(n))
                    .map(|n| format!("\"{n}\" = excluded.\"{n}\""))
                    .collect();
                let on_conflict = if set.is_empty() {
                    "DO NOTHING".to_string()
                } else {
                    format!("DO UPDATE SET {}", set.join(", "))
                };
                // A finding is in one item: its membership elsewhere (derived there, so never
                // recorded) makes way. Memberships have no children to cascade to.
                let on_conflict = if *table == "work_item_findings" {
                    String::new()
                } else {
                    format!(
                        "ON CONFLICT ({}) {on_conflict}",
                        key.iter()
                            .map(|k| format!("\"{k}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let verb = if *table == "work_item_findings" {
                    "INSERT OR REPLACE"
                } else {
                    "INSERT"
                };
                let sql = format!(
                    "{verb} INTO {table} ({}) VALUES ({}) {on_conflict}",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                    (1..=names.len())
                        .map(|i| format!("?{i}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                let values: Vec<Value> = row.into_iter().map(json_value).collect();
                conn.execute(&sql, rusqlite::params_from_iter(values))?;
            }
            "deleted" => {
                let sql = format!("DELETE FROM {table} WHERE {}", key_where(1));
                conn.execute(&sql, rusqlite::params_from_iter(key_values))?;
            }
            field => {
                let sql = format!("UPDATE {table} SET \"{field}\" = ?1 WHERE {}", key_where(2));
                let mut values = vec![c.new.clone()];
                values.extend(key_values);
                conn.execute(&sql, rusqlite::params_from_iter(values))?;
            }
        }
    }
    Ok(())
}

/// A stored value as the operations carry it (the inverse of [`json_value`]; no recorded field
/// holds bytes).
pub(crate) fn sql_json(v: &rusqlite::types::Value) -> serde_json::Value {
    use rusqlite::types::Value;
    match v {
        Value::Null | Value::Blob(_) => serde_json::Value::Null,
        Value::Integer(i) => serde_json::Value::from(*i),
        Value::Real(f) => serde_json::Value::from(*f),
        Value::Text(t) => serde_json::Value::String(t.clone()),
    }
}

pub(crate) fn json_value(v: serde_json::Value) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(b as i64),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Text(s),
        other => Value::Text(other.to_string()),
    }
}
