//! Change windows: series in a time zone with an RFC 5545 recurrence, expanded into the concrete
//! occurrences that items are scheduled on; and importing them from iCalendar files and URLs.
//!
//! - `recurrence`: one series into instants (DST rules, caps). Knows nothing of the workspace.
//! - `windows`: the stored series, with change-log entries for every change.
//! - `ical`: iCalendar text into window specs; `sync`: storing them and re-syncing a source;
//!   `sync::download`: reading a calendar URL (through `truce-net`), watched and cancellable.
//!
//! Must never depend on a front end; the network is touched only through `truce-net`.

pub mod ical;
/// Recurrence is the `truce-calendar` crate (pure): re-exported where the core always had it.
pub use truce_calendar as recurrence;

pub mod bounds;
pub mod sync;
pub mod windows;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

pub use crate::model::{ChangeWindow, Occurrence, WindowImportReport, WindowKind};
/// How a caller follows and stops a download ([`sync::download`]).
pub use truce_net::{is_url, Progress, Watch};
pub use windows::{
    create, default_max_items, delete, get, list, set_default_max_items, update, WindowSpec,
};

use crate::{Error, Result};

fn window_occurrences_of(
    w: &ChangeWindow,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Occurrence>> {
    let spec = w.spec()?;
    let series = spec.series()?;
    let zone = series.zone;
    let duration = series.duration;
    // Occurrences that overlap [from, to): those starting up to one duration before `from`.
    let x = recurrence::expand(
        &series,
        from - duration + Duration::seconds(1),
        to,
        recurrence::MAX_OCCURRENCES,
    )
    .map_err(|e| Error::Invalid(format!("window '{}' ({}): {e}", w.name, w.id)))?;
    if x.truncated {
        return Err(Error::Invalid(format!(
            "window '{}' ({}) has more than {} occurrences between {} and {}; ask for a shorter span",
            w.name,
            w.id,
            recurrence::MAX_OCCURRENCES,
            from.format("%Y-%m-%d"),
            to.format("%Y-%m-%d")
        )));
    }
    Ok(x.instances
        .into_iter()
        .map(|i| {
            let end_utc = i.start_utc + duration;
            Occurrence {
                window_id: w.id.clone(),
                window_name: w.name.clone(),
                kind: w.kind,
                start_utc: i.start_utc,
                end_utc,
                time_zone: w.time_zone.clone(),
                start_local: i.start_local,
                end_local: end_utc.with_timezone(&zone).naive_local(),
                start_zoned: zoned(i.start_utc, zone),
                end_zoned: zoned(end_utc, zone),
                environments: w.environments.clone(),
                asset_tags: w.asset_tags.clone(),
                teams: w.teams.clone(),
                max_assets: w.max_assets,
                max_items: w.max_items,
            }
        })
        .collect())
}

/// Every occurrence of every window that overlaps `[from, to)`, by start then window name.
pub fn occurrences(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Occurrence>> {
    check_span(from, to)?;
    let mut all = Vec::new();
    for w in windows::list(conn)? {
        all.extend(window_occurrences_of(&w, from, to)?);
        // Workspaces written before `bounds` was checked at the door: an error, not gigabytes.
        if all.len() > bounds::MAX_LISTED {
            return Err(Error::Invalid(format!(
                "the change windows have more than {} occurrences between {} and {}; ask for a shorter span, or remove windows that repeat too often",
                bounds::MAX_LISTED,
                from.format("%Y-%m-%d"),
                to.format("%Y-%m-%d")
            )));
        }
    }
    all.sort_by(|a, b| {
        (a.start_utc, &a.window_name, &a.window_id).cmp(&(
            b.start_utc,
            &b.window_name,
            &b.window_id,
        ))
    });
    Ok(all)
}

/// The occurrences of one window that overlap `[from, to)`, in order.
pub fn window_occurrences(
    conn: &Connection,
    window_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Occurrence>> {
    check_span(from, to)?;
    let w = windows::get(conn, window_id)?
        .ok_or_else(|| Error::Invalid(format!("no change window with id '{window_id}'")))?;
    window_occurrences_of(&w, from, to)
}

/// The occurrence of `window_id` that starts exactly at `start_utc`, if the series has one
/// (an item can only be scheduled on a real occurrence). `None` for an unknown window too.
pub fn occurrence_at(
    conn: &Connection,
    window_id: &str,
    start_utc: DateTime<Utc>,
) -> Result<Option<Occurrence>> {
    let Some(w) = windows::get(conn, window_id)? else {
        return Ok(None);
    };
    let spec = w.spec()?;
    let duration = Duration::minutes(spec.duration_min.into());
    // The span [start, start + duration) contains exactly the occurrences overlapping that start.
    Ok(window_occurrences_of(&w, start_utc, start_utc + duration)?
        .into_iter()
        .find(|o| o.start_utc == start_utc))
}

fn zoned(t: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A length as people write it: '4h', '90m', '1h30m', '2d', '1w', or plain minutes ('240').
pub fn parse_duration_minutes(s: &str) -> Result<u32> {
    let bad = || {
        Error::Invalid(format!(
            "duration '{s}': expected minutes or a length like 4h, 90m, 1h30m, 2d"
        ))
    };
    let t = s.trim().to_ascii_lowercase();
    if let Ok(n) = t.parse::<u32>() {
        return Ok(n);
    }
    let (mut total, mut num) = (0u64, String::new());
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += n * match c {
            'w' => 7 * 1440,
            'd' => 1440,
            'h' => 60,
            'm' => 1,
            _ => return Err(bad()),
        };
    }
    if !num.is_empty() || total == 0 {
        return Err(bad());
    }
    u32::try_from(total).map_err(|_| bad())
}

/// An instant as people write it: RFC 3339, or a date ('2026-03-01', meaning 00:00 UTC). The
/// one parser of such times: the board, the CLI and `TRUCE_NOW` all read them here.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            Error::Invalid(format!(
                "'{s}' is not a time: use RFC 3339 (2026-12-05T22:00:00Z) or a date (2026-12-05)"
            ))
        })
}

fn check_span(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<()> {
    if to <= from {
        return Err(Error::Invalid(format!(
            "the span {} .. {} is empty: 'to' must be after 'from'",
            from.to_rfc3339(),
            to.to_rfc3339()
        )));
    }
    Ok(())
}
