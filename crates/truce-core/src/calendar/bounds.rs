//! What a change window may be, so that no window (or a calendar of them) can make every later
//! plan, board or listing slow, huge or impossible. Checked when a window is written (created,
//! edited, imported), so a bad calendar is refused at the door with the window and the problem;
//! the listing of occurrences has its own bound for workspaces written before these checks.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::recurrence::{self, Series};
use super::windows::{self, WindowSpec};
use crate::{Error, Result};

/// Occurrences one window may have in a year: twice a day with room to spare. A rule that
/// repeats hourly is not a change window.
pub const MAX_PER_YEAR: usize = 1_000;
/// EXDATEs, or RDATEs, one window may list.
pub const MAX_DATES: usize = 10_000;
/// Occurrences all windows together may have in the coming year.
pub const MAX_TOTAL_PER_YEAR: usize = 50_000;
/// Occurrences one listing (board, plan, `windows occurrences`) may hold.
pub const MAX_LISTED: usize = 100_000;

/// Refuses a window that repeats by the second or the minute, lists more dates than any plan
/// needs, or repeats more than [`MAX_PER_YEAR`] times in its first year.
pub(crate) fn check_window(spec: &WindowSpec, series: &Series) -> Result<()> {
    let bad = |problem: String| Error::Invalid(format!("window '{}': {problem}", spec.name));
    let rules = spec
        .rrule
        .iter()
        .chain(spec.exrule.iter())
        .flat_map(|r| r.lines());
    for rule in rules {
        let upper = rule.to_ascii_uppercase();
        for (freq, every) in [("SECONDLY", "second"), ("MINUTELY", "minute")] {
            if upper.contains(&format!("FREQ={freq}")) {
                return Err(bad(format!(
                    "the rule repeats every {every} ({}); a change window repeats daily, weekly or monthly",
                    rule.trim()
                )));
            }
        }
    }
    for (what, n) in [
        ("EXDATE", series.exdates.len()),
        ("RDATE", series.rdates.len()),
    ] {
        if n > MAX_DATES {
            return Err(bad(format!(
                "{n} {what}s; Truce keeps at most {MAX_DATES} a window"
            )));
        }
    }
    let start = recurrence::resolve_local(series.zone, series.start_local);
    let first_year = recurrence::expand(series, start, start + Duration::days(366), MAX_PER_YEAR)
        .map_err(bad)?;
    if first_year.truncated {
        return Err(bad(format!(
            "it repeats more than {MAX_PER_YEAR} times a year; a change window repeats at most twice a day or so"
        )));
    }
    Ok(())
}

/// Refuses the write when all windows together would have more than [`MAX_TOTAL_PER_YEAR`]
/// occurrences in the year from `now` (a calendar of a thousand daily events, say).
pub(crate) fn check_total(conn: &Connection, now: DateTime<Utc>) -> Result<()> {
    let until = now + Duration::days(366);
    let mut total = 0usize;
    for w in windows::list(conn)? {
        let series = w.spec()?.series()?;
        let x = recurrence::expand(&series, now, until, MAX_PER_YEAR)
            .map_err(|e| Error::Invalid(format!("window '{}': {e}", w.name)))?;
        total += x.instances.len() + usize::from(x.truncated);
        if total > MAX_TOTAL_PER_YEAR {
            return Err(Error::Invalid(format!(
                "the change windows would have more than {MAX_TOTAL_PER_YEAR} occurrences in the coming year; \
                 Truce plans at most that many (remove or merge windows)"
            )));
        }
    }
    Ok(())
}
