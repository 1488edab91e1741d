//! Window series in the workspace: create, update, delete, list, with every change written to
//! the change log; and reading a stored row back as a [`Series`] to expand.

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::recurrence::{self, Series};
use crate::ids::new_id;
use crate::model::{ChangeWindow, WindowKind};
use crate::planning::ItemState;
use crate::{Error, Result};

/// What a person (or an import) says a window is. `validate` checks it before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WindowSpec {
    pub name: String,
    pub kind: WindowKind,
    #[serde(default)]
    pub description: Option<String>,
    /// IANA zone name, e.g. Europe/Berlin.
    pub time_zone: String,
    /// The first occurrence's wall time in `time_zone`.
    #[ts(type = "string")]
    pub starts_local: NaiveDateTime,
    pub duration_min: u32,
    #[serde(default)]
    pub rrule: Option<String>,
    /// RFC 5545 EXRULEs (deprecated by the RFC, still written by some tools), one a line:
    /// instances they produce are removed.
    #[serde(default)]
    pub exrule: Option<String>,
    /// RFC 5545 values separated by commas (see `ChangeWindow::exdates`).
    #[serde(default)]
    pub exdates: Option<String>,
    #[serde(default)]
    pub rdates: Option<String>,
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    #[serde(default)]
    pub asset_tags: Option<Vec<String>>,
    #[serde(default)]
    pub teams: Option<Vec<String>>,
    #[serde(default)]
    pub max_assets: Option<u32>,
    #[serde(default)]
    pub max_items: Option<u32>,
}

/// Parses an IANA zone name, or says what is wrong with it.
pub fn zone(name: &str) -> std::result::Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("'{name}' is not an IANA time zone name (for example Europe/Berlin or America/New_York)")
    })
}

impl WindowSpec {
    /// A window that happens once, for anything, without limits; recurrence, scope and capacity
    /// are added with struct update syntax (`WindowSpec { rrule, ..WindowSpec::new(..) }`).
    pub fn new(
        name: &str,
        kind: WindowKind,
        time_zone: &str,
        starts_local: NaiveDateTime,
        duration_min: u32,
    ) -> WindowSpec {
        WindowSpec {
            name: name.to_string(),
            kind,
            description: None,
            time_zone: time_zone.to_string(),
            starts_local,
            duration_min,
            rrule: None,
            exrule: None,
            exdates: None,
            rdates: None,
            environments: None,
            asset_tags: None,
            teams: None,
            max_assets: None,
            max_items: None,
        }
    }

    /// The series this spec describes, if it is valid; the error names the window and the problem.
    pub fn series(&self) -> Result<Series> {
        let bad = |problem: String| Error::Invalid(format!("window '{}': {problem}", self.name));
        if self.name.trim().is_empty() {
            return Err(Error::Invalid("a window needs a name".into()));
        }
        let tz = zone(&self.time_zone).map_err(bad)?;
        if self.duration_min == 0 {
            return Err(bad("the duration must be more than 0 minutes".into()));
        }
        if let Some(rule) = &self.rrule {
            recurrence::check_rule(rule, tz, self.starts_local).map_err(bad)?;
        }
        for rule in self
            .exrule
            .iter()
            .flat_map(|r| r.lines())
            .filter(|r| !r.trim().is_empty())
        {
            recurrence::check_rule(rule, tz, self.starts_local)
                .map_err(|e| bad(format!("EXRULE: {e}")))?;
        }
        let exdates = recurrence::parse_list(self.exdates.as_deref())
            .map_err(|e| bad(format!("EXDATE: {e}")))?;
        let rdates = recurrence::parse_list(self.rdates.as_deref())
            .map_err(|e| bad(format!("RDATE: {e}")))?;
        Ok(Series {
            zone: tz,
            start_local: self.starts_local,
            duration: Duration::minutes(self.duration_min.into()),
            rrule: self.rrule.clone(),
            exrule: self.exrule.clone(),
            exdates,
            rdates,
        })
    }

    /// The stored text of each field, in a fixed order: what the change log compares.
    fn fields(&self) -> Vec<(&'static str, Option<String>)> {
        let json = |v: &Option<Vec<String>>| {
            v.as_ref()
                .map(|v| serde_json::to_string(v).expect("strings serialize"))
        };
        vec![
            ("name", Some(self.name.clone())),
            ("kind", Some(self.kind.as_str().into())),
            ("description", self.description.clone()),
            ("time_zone", Some(self.time_zone.clone())),
            ("starts_local", Some(local_text(self.starts_local))),
            ("duration_min", Some(self.duration_min.to_string())),
            ("rrule", self.rrule.clone()),
            ("exrule", self.exrule.clone()),
            ("exdates", self.exdates.clone()),
            ("rdates", self.rdates.clone()),
            ("environments", json(&self.environments)),
            ("asset_tags", json(&self.asset_tags)),
            ("teams", json(&self.teams)),
            ("max_assets", self.max_assets.map(|n| n.to_string())),
            ("max_items", self.max_items.map(|n| n.to_string())),
        ]
    }
}

pub fn local_text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Reads 'YYYY-MM-DDTHH:MM[:SS]' (a space instead of the T is fine).
pub fn parse_local_text(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim().replace(' ', "T");
    NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M"))
        .ok()
}

const COLUMNS: &str = "id, name, kind, description, time_zone, starts_local, duration_min, rrule, exdates, rdates,
     environments, asset_tags, teams, max_assets, max_items, source, source_uid, created_at, updated_at, exrule";

fn json_list(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Vec<String>>> {
    let text: Option<String> = r.get(i)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<ChangeWindow> {
    let kind: String = r.get(2)?;
    Ok(ChangeWindow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: WindowKind::parse(&kind).unwrap_or(WindowKind::Maintenance),
        description: r.get(3)?,
        time_zone: r.get(4)?,
        starts_local: r.get(5)?,
        duration_min: r.get(6)?,
        rrule: r.get(7)?,
        exdates: r.get(8)?,
        rdates: r.get(9)?,
        environments: json_list(r, 10)?,
        asset_tags: json_list(r, 11)?,
        teams: json_list(r, 12)?,
        max_assets: r.get(13)?,
        max_items: r.get(14)?,
        source: r.get(15)?,
        source_uid: r.get(16)?,
        created_at: r.get(17)?,
        updated_at: r.get(18)?,
        exrule: r.get(19)?,
    })
}

impl ChangeWindow {
    /// The spec this stored window was made from.
    pub fn spec(&self) -> Result<WindowSpec> {
        let starts_local = parse_local_text(&self.starts_local).ok_or_else(|| {
            Error::Invalid(format!(
                "window '{}' ({}): stored start '{}' is not 'YYYY-MM-DDTHH:MM:SS'",
                self.name, self.id, self.starts_local
            ))
        })?;
        Ok(WindowSpec {
            name: self.name.clone(),
            kind: self.kind,
            description: self.description.clone(),
            time_zone: self.time_zone.clone(),
            starts_local,
            duration_min: self.duration_min,
            rrule: self.rrule.clone(),
            exrule: self.exrule.clone(),
            exdates: self.exdates.clone(),
            rdates: self.rdates.clone(),
            environments: self.environments.clone(),
            asset_tags: self.asset_tags.clone(),
            teams: self.teams.clone(),
            max_assets: self.max_assets,
            max_items: self.max_items,
        })
    }
}

/// Every window, by first start then name.
pub fn list(conn: &Connection) -> Result<Vec<ChangeWindow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM change_windows ORDER BY starts_local, name, id"
    ))?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<ChangeWindow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM change_windows WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

fn must_get(conn: &Connection, id: &str) -> Result<ChangeWindow> {
    get(conn, id)?.ok_or_else(|| Error::Invalid(format!("no change window with id '{id}'")))
}

/// Where an imported window came from (see `ical`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceInfo {
    pub source: String,
    pub uid: String,
    pub recurrence_id: String,
    pub sequence: Option<i64>,
    pub modified: Option<String>,
    pub hash: String,
}

/// Creates a window; returns it as stored.
pub fn create(conn: &Connection, actor: &str, spec: &WindowSpec) -> Result<ChangeWindow> {
    let w = insert(conn, actor, spec, None, None)?;
    super::bounds::check_total(conn, crate::changes::now_time(conn)?)?;
    Ok(w)
}

pub(crate) fn insert(
    conn: &Connection,
    actor: &str,
    spec: &WindowSpec,
    src: Option<&SourceInfo>,
    reason: Option<&str>,
) -> Result<ChangeWindow> {
    super::bounds::check_window(spec, &spec.series()?)?;
    crate::changes::because(conn, reason)?;
    crate::changes::acting(conn, actor)?;
    let id = new_id();
    let at = crate::changes::now(conn)?;
    let f = spec.fields();
    let v = |name: &str| {
        f.iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.clone())
    };
    conn.execute(
        "INSERT INTO change_windows (id, name, kind, description, time_zone, starts_local, duration_min, rrule, exdates,
             rdates, environments, asset_tags, teams, max_assets, max_items, source, source_uid, source_recurrence_id,
             source_sequence, source_modified, source_hash, created_at, updated_at, exrule)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?22, ?23)",
        params![
            id, spec.name, spec.kind.as_str(), spec.description, spec.time_zone, local_text(spec.starts_local),
            spec.duration_min, spec.rrule, spec.exdates, spec.rdates, v("environments"), v("asset_tags"), v("teams"),
            spec.max_assets, spec.max_items, src.map(|s| &s.source), src.map(|s| &s.uid), src.map(|s| &s.recurrence_id),
            src.and_then(|s| s.sequence), src.and_then(|s| s.modified.clone()), src.map(|s| &s.hash), at, spec.exrule
        ],
    )?;
    must_get(conn, &id)
}

/// Replaces what window `id` is; only changed fields reach the change log. Refused when items
/// are scheduled on an occurrence the new series would not have (move them first); the caller's
/// transaction is left as it was.
pub fn update(conn: &Connection, actor: &str, id: &str, spec: &WindowSpec) -> Result<ChangeWindow> {
    let zone = must_get(conn, id)?.time_zone;
    conn.execute_batch("SAVEPOINT window_update")?;
    let result = replace(conn, actor, id, spec, None, None).and_then(|w| {
        super::bounds::check_total(conn, crate::changes::now_time(conn)?)?;
        let lost = stranded(conn, id)?;
        if lost.is_empty() {
            Ok(w)
        } else {
            Err(Error::Invalid(format!(
                "“{}”: the change would remove {} that items are scheduled on ({}); move them first",
                spec.name,
                if lost.len() == 1 { "an occurrence" } else { "occurrences" },
                lost.iter()
                    .map(|start| what_is_on(conn, id, start, &zone))
                    .collect::<Result<Vec<_>>>()?
                    .join("; ")
            )))
        }
    });
    let end = if result.is_ok() {
        "RELEASE window_update"
    } else {
        "ROLLBACK TO window_update; RELEASE window_update"
    };
    conn.execute_batch(end)?;
    result
}

/// UTC starts of occurrences of window `id` that items still to do are scheduled on (settled
/// ones never hold a window back: `ItemState::is_settled`), or that have commitments, but that
/// are not occurrences of the series (any more).
pub fn stranded(conn: &Connection, id: &str) -> Result<Vec<String>> {
    let starts: Vec<String> = conn
        .prepare(&format!(
            "SELECT occurrence_start FROM commitments WHERE window_id = ?1
             UNION SELECT occurrence_start FROM work_items
                   WHERE window_id = ?1 AND occurrence_start IS NOT NULL AND {}
             ORDER BY 1",
            ItemState::not_settled_sql()
        ))?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut lost = Vec::new();
    for s in starts {
        let real = match chrono::DateTime::parse_from_rfc3339(&s) {
            Ok(t) => super::occurrence_at(conn, id, t.with_timezone(&chrono::Utc))?.is_some(),
            Err(_) => false,
        };
        if !real {
            lost.push(s);
        }
    }
    Ok(lost)
}

/// "Sun 2026-12-13 02:00 America/New_York (2026-12-13 07:00 UTC): “Upgrade PHP”": an occurrence of
/// window `id` as people read it (in the window's zone `zone`), with the items on it.
fn what_is_on(conn: &Connection, id: &str, start: &str, zone_name: &str) -> Result<String> {
    // The items `stranded` found there: scheduled and still to do, or committed.
    let titles: Vec<String> = conn
        .prepare(&format!(
            "SELECT '“' || title || '”' FROM work_items WHERE id IN (
                 SELECT id FROM work_items WHERE window_id = ?1 AND occurrence_start = ?2 AND {}
                 UNION SELECT work_item_id FROM commitments WHERE window_id = ?1 AND occurrence_start = ?2)
             ORDER BY title",
            ItemState::not_settled_sql()
        ))?
        .query_map([id, start], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let said = match (chrono::DateTime::parse_from_rfc3339(start), zone(zone_name)) {
        (Ok(t), Ok(tz)) => format!(
            "{} {zone_name} ({})",
            t.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"),
            t.to_utc().format("%Y-%m-%d %H:%M UTC")
        ),
        _ => start.to_string(),
    };
    Ok(format!("{said}: {}", titles.join(", ")))
}

pub(crate) fn replace(
    conn: &Connection,
    actor: &str,
    id: &str,
    spec: &WindowSpec,
    src: Option<&SourceInfo>,
    reason: Option<&str>,
) -> Result<ChangeWindow> {
    super::bounds::check_window(spec, &spec.series()?)?;
    crate::changes::because(conn, reason)?;
    crate::changes::acting(conn, actor)?;
    let at = crate::changes::now(conn)?;
    let f = spec.fields();
    let v = |name: &str| {
        f.iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.clone())
    };
    conn.execute(
        "UPDATE change_windows SET name = ?2, kind = ?3, description = ?4, time_zone = ?5, starts_local = ?6,
             duration_min = ?7, rrule = ?8, exdates = ?9, rdates = ?10, environments = ?11, asset_tags = ?12,
             teams = ?13, max_assets = ?14, max_items = ?15, updated_at = ?16, exrule = ?17 WHERE id = ?1",
        params![
            id, spec.name, spec.kind.as_str(), spec.description, spec.time_zone, local_text(spec.starts_local),
            spec.duration_min, spec.rrule, spec.exdates, spec.rdates, v("environments"), v("asset_tags"), v("teams"),
            spec.max_assets, spec.max_items, at, spec.exrule
        ],
    )?;
    if let Some(s) = src {
        conn.execute(
            "UPDATE change_windows SET source_sequence = ?2, source_modified = ?3, source_hash = ?4 WHERE id = ?1",
            params![id, s.sequence, s.modified, s.hash],
        )?;
    }
    must_get(conn, id)
}

/// How many work items still to do are scheduled on, or committed to, occurrences of window
/// `id`: a window in use, which must not vanish under them (`work_items.window_id` is ON DELETE
/// SET NULL, so a delete would unschedule them without a word).
pub fn items_on(conn: &Connection, id: &str) -> Result<i64> {
    Ok(conn.query_row(
        &format!(
            "SELECT count(*) FROM (SELECT work_item_id FROM commitments WHERE window_id = ?1
                                   UNION SELECT id FROM work_items WHERE window_id = ?1 AND {})",
            ItemState::not_settled_sql()
        ),
        [id],
        |r| r.get(0),
    )?)
}

/// Deletes window `id`; refused while items are scheduled on it.
pub fn delete(conn: &Connection, actor: &str, id: &str) -> Result<()> {
    delete_with_reason(conn, actor, id, None)
}

pub(crate) fn delete_with_reason(
    conn: &Connection,
    actor: &str,
    id: &str,
    reason: Option<&str>,
) -> Result<()> {
    let w = must_get(conn, id)?;
    let n = items_on(conn, id)?;
    if n > 0 {
        return Err(Error::Invalid(format!(
            "window '{}' ({id}) has {n} item(s) scheduled on its occurrences; move them before deleting it",
            w.name
        )));
    }
    crate::changes::because(conn, reason)?;
    crate::changes::acting(conn, actor)?;
    conn.execute("DELETE FROM change_windows WHERE id = ?1", [id])?;
    Ok(())
}

/// How many items an occurrence of a window with no limit of its own takes (None: no limit).
pub fn default_max_items(conn: &Connection) -> Result<Option<u32>> {
    Ok(conn.query_row("SELECT max_items FROM window_defaults", [], |r| r.get(0))?)
}

/// Sets that default (None: no limit), in the change log.
pub fn set_default_max_items(conn: &Connection, actor: &str, max: Option<u32>) -> Result<()> {
    if max == Some(0) {
        return Err(Error::Invalid(
            "a window takes at least one item; leave the default empty for no limit".into(),
        ));
    }
    crate::changes::acting(conn, actor)?;
    conn.execute("UPDATE window_defaults SET max_items = ?1", [max])?;
    Ok(())
}
