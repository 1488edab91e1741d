//! iCalendar (RFC 5545) into windows. The `ical` crate unfolds lines and splits each content line
//! into name, parameters and value, keeping line numbers; the components, dates and recurrence
//! properties are read here, so every error can name the file, the line and the problem.
//!
//! Each VEVENT becomes one window, keyed by (source, UID, RECURRENCE-ID). An override (an event
//! with RECURRENCE-ID) becomes an EXDATE of its series plus, unless it is cancelled, a one-off
//! window of its own. Storing them, and re-syncing a source, is `sync`'s part.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use ical::line::LineReader;
use ical::property::PropertyParser;

use super::recurrence::{self, resolve_local, When};
use super::windows::WindowSpec;
use crate::model::WindowKind;
use crate::{Error, Result};

pub use super::sync::{import, import_bytes, import_file, import_url};

/// Calendars larger than this are refused before they are read.
pub const MAX_ICS_BYTES: usize = 16 << 20;

struct Prop {
    name: String,
    params: Vec<(String, Vec<String>)>,
    value: String,
    line: usize,
}

impl Prop {
    fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.first())
            .map(|v| v.trim_matches('"'))
    }
}

#[derive(Default)]
struct RawEvent {
    line: usize,
    props: Vec<Prop>,
}

impl RawEvent {
    fn get(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Prop> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }
}

/// One event read from a calendar, ready to store.
#[derive(Debug, Clone)]
pub struct ParsedEvent {
    pub uid: String,
    /// The RECURRENCE-ID of an override as RFC 5545 text; empty for a series or a one-off.
    pub recurrence_id: String,
    pub spec: WindowSpec,
    pub sequence: Option<i64>,
    pub modified: Option<String>,
    /// The line of its BEGIN:VEVENT.
    pub line: usize,
}

/// A date or date-time value as written.
#[derive(Debug, Clone, Copy)]
enum Dt {
    Date(NaiveDate),
    Floating(NaiveDateTime),
    Utc(DateTime<Utc>),
    Zoned(NaiveDateTime, Tz),
}

/// An IANA zone from a TZID: the name itself, or the IANA name at its end, as in
/// 'custom_Pacific/Fiji' or '/mozilla.org/20050126_1/America/New_York'.
pub fn zone_from_tzid(tzid: &str) -> Option<Tz> {
    let tzid = tzid.trim().trim_matches('"');
    if let Ok(tz) = tzid.parse::<Tz>() {
        return Some(tz);
    }
    tzid.char_indices()
        .filter(|(_, c)| matches!(c, '/' | '_' | '-' | ' '))
        .find_map(|(i, _)| tzid[i + 1..].parse::<Tz>().ok())
}

/// Reads `bytes` (named `file` in errors) into events. `force_kind` overrides what the events say.
pub fn parse(file: &str, bytes: &[u8], force_kind: Option<WindowKind>) -> Result<Vec<ParsedEvent>> {
    let bad = |line: usize, problem: String| Error::BadInput {
        file: file.into(),
        position: format!("line {line}"),
        problem,
    };
    if bytes.len() > MAX_ICS_BYTES {
        return Err(bad(
            1,
            format!(
                "the calendar is {} bytes; Truce reads at most {} MiB",
                bytes.len(),
                MAX_ICS_BYTES >> 20
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        bad(line, "not UTF-8 text (iCalendar files are UTF-8)".into())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut raw: Vec<RawEvent> = Vec::new();
    let mut calendar_zone: Option<Tz> = None;
    // The zones the file defines (VTIMEZONE). When it defines exactly one and names no calendar
    // zone (X-WR-TIMEZONE), that is where its all-day and floating times are: an Outlook or
    // CalDAV export of one team's calendar. With several, or none, they stay in UTC.
    let mut defined_zones: Vec<Option<Tz>> = Vec::new();
    let mut saw_calendar = false;
    for line in LineReader::new(text.as_bytes()) {
        let n = line.number();
        let prop = PropertyParser::from_reader(line.as_str().as_bytes())
            .next()
            .unwrap_or(Err(ical::property::PropertyError::MissingName { line: n }))
            .map_err(|e| {
                let msg = e.to_string();
                let msg = msg
                    .split_once(": ")
                    .map(|(_, m)| m.to_string())
                    .unwrap_or(msg);
                bad(
                    n,
                    format!(
                        "not an iCalendar content line ({msg}): '{}'",
                        clip(line.as_str())
                    ),
                )
            })?;
        let name = prop.name.to_ascii_uppercase();
        let value = prop.value.unwrap_or_default();
        match name.as_str() {
            "BEGIN" => {
                let comp = value.trim().to_ascii_uppercase();
                if comp == "VCALENDAR" {
                    saw_calendar = true;
                }
                if comp == "VEVENT" && stack.last().is_none_or(|(c, _)| c == "VCALENDAR") {
                    raw.push(RawEvent {
                        line: n,
                        props: Vec::new(),
                    });
                }
                stack.push((comp, n));
            }
            "END" => {
                let comp = value.trim().to_ascii_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == comp => {}
                    Some((open, at)) => {
                        return Err(bad(
                            n,
                            format!("END:{comp} does not close BEGIN:{open} of line {at}"),
                        ))
                    }
                    None => return Err(bad(n, format!("END:{comp} without a BEGIN:{comp}"))),
                }
            }
            _ => match stack.last().map(|(c, _)| c.as_str()) {
                Some("VEVENT") if stack.len() <= 2 => {
                    if let Some(ev) = raw.last_mut() {
                        let params = prop
                            .params
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k.to_ascii_uppercase(), v))
                            .collect();

                        ev.props.push(Prop {
                            name,
                            params,
                            value,
                            line: n,
                        });
                    }
                }
                Some("VCALENDAR") if name == "X-WR-TIMEZONE" => {
                    calendar_zone = zone_from_tzid(&value)
                }
                Some("VTIMEZONE") if name == "TZID" => defined_zones.push(zone_from_tzid(&value)),
                _ => {}
            },
        }
    }
    if let Some((open, at)) = stack.last() {
        return Err(bad(
            *at,
            format!("BEGIN:{open} is never closed (the file ends first)"),
        ));
    }
    if !saw_calendar && raw.is_empty() {
        return Err(bad(
            1,
            "not an iCalendar file: it has no BEGIN:VCALENDAR and no BEGIN:VEVENT".into(),
        ));
    }
    // The same zone defined twice (some exporters repeat VTIMEZONE) is still one zone.
    defined_zones.sort_by_key(|z| z.map(|t| t.name()));
    defined_zones.dedup();
    let only_zone = match defined_zones.as_slice() {
        [Some(z)] => Some(*z),
        _ => None,
    };
    let default_zone = calendar_zone.or(only_zone).unwrap_or(Tz::UTC);
    let mut events = Vec::new();
    for ev in &raw {
        if let Some(e) =
            event(ev, default_zone, force_kind).map_err(|(line, problem)| bad(line, problem))?
        {
            events.push(e);
        }
    }
    apply_overrides(events).map_err(|(line, problem)| bad(line, problem))
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

/// RFC 5545 TEXT unescaping.
fn text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

type Problem = (usize, String);

fn dt(p: &Prop, value: &str) -> std::result::Result<Dt, Problem> {
    let at = |m: String| (p.line, format!("{}: {m}", p.name));
    let value = value.trim();
    let w = When::parse(value).map_err(at)?;
    let date_only = p
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    Ok(match (w, p.param("TZID")) {
        (When::Date(d), _) => Dt::Date(d),
        (_, _) if date_only => return Err(at(format!("VALUE=DATE but '{value}' is not a date"))),
        (When::Utc(t), _) => Dt::Utc(t),
        (When::Local(t), Some(tzid)) => Dt::Zoned(
            t,
            zone_from_tzid(tzid).ok_or_else(|| {
                at(format!("TZID '{tzid}' is not a time zone Truce knows (an IANA name such as Europe/Berlin)"))
            })?,
        ),
        (When::Local(t), None) => Dt::Floating(t),
    })
}

/// A value relative to the window's zone, as EXDATE/RDATE store it.
fn when_in(v: Dt, zone: Tz) -> When {
    match v {
        Dt::Date(d) => When::Date(d),
        Dt::Floating(t) => When::Local(t),
        Dt::Utc(t) => When::Utc(t),
        Dt::Zoned(t, tz) if tz == zone => When::Local(t),
        Dt::Zoned(t, tz) => When::Utc(resolve_local(tz, t)),
    }
}

fn instant(v: Dt, zone: Tz) -> DateTime<Utc> {
    match v {
        Dt::Date(d) => resolve_local(zone, d.and_hms_opt(0, 0, 0).expect("midnight")),
        Dt::Floating(t) => resolve_local(zone, t),
        Dt::Utc(t) => t,
        Dt::Zoned(t, tz) => resolve_local(tz, t),
    }
}

/// ISO 8601 / RFC 5545 DURATION ('PT1H30M', 'P1D', 'P2W') in seconds.
pub fn duration_seconds(s: &str) -> Option<i64> {
    let s = s.trim();
    let (sign, s) = match s.as_bytes().first() {
        Some(b'-') => (-1, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    };
    let s = s.strip_prefix('P')?;
    let (mut total, mut num, mut in_time, mut any) = (0i64, String::new(), false, false);
    for c in s.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' => num.push(c),
            _ => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                any = true;
                total += n * match (c, in_time) {
                    ('W', false) => 7 * 86400,
                    ('D', false) => 86400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
            }
        }
    }
    (any && num.is_empty()).then_some(sign * total)
}

fn event(
    ev: &RawEvent,
    default_zone: Tz,
    force_kind: Option<WindowKind>,
) -> std::result::Result<Option<ParsedEvent>, Problem> {
    // EXDATE and RDATE values as written (a PERIOD's start is the occurrence; the window keeps
    // its own duration).
    let mut raw_dates: Vec<(&str, Dt)> = Vec::new();
    for name in ["EXDATE", "RDATE"] {
        for p in ev.all(name) {
            for v in p.value.split(',').filter(|v| !v.trim().is_empty()) {
                let v = v.split('/').next().unwrap_or(v);
                raw_dates.push((name, dt(p, v)?));
            }
        }
    }
    let start_prop = ev.get("DTSTART");
    let start = match start_prop {
        Some(p) => dt(p, &p.value)?,
        // No DTSTART (RFC 5545 allows that only with a METHOD): the first RDATE starts the series.
        None => raw_dates
            .iter()
            .filter(|(n, _)| *n == "RDATE")
            .map(|(_, v)| *v)
            .min_by_key(|v| instant(*v, default_zone))
            .ok_or((
                ev.line,
                "VEVENT has neither DTSTART nor RDATE, so it never happens".to_string(),
            ))?,
    };
    let (zone, starts_local, all_day) = match start {
        Dt::Date(d) => (
            default_zone,
            d.and_hms_opt(0, 0, 0).expect("midnight"),
            true,
        ),
        Dt::Floating(t) => (default_zone, t, false),
        Dt::Utc(t) => (Tz::UTC, t.naive_utc(), false),
        Dt::Zoned(t, tz) => (tz, t, false),
    };
    let start_utc = instant(start, zone);
    let seconds = if let Some(p) = ev.get("DTEND") {
        let end = dt(p, &p.value)?;
        match (start, end) {
            (Dt::Date(a), Dt::Date(b)) => (b - a).num_days() * 86400,
            _ => (instant(end, zone) - start_utc).num_seconds(),
        }
    } else if let Some(p) = ev.get("DURATION") {
        duration_seconds(&p.value).ok_or((
            p.line,
            format!(
                "DURATION '{}' is not an RFC 5545 duration (e.g. PT1H30M)",
                p.value
            ),
        ))?
    } else if all_day {
        86400
    } else {
        // RFC 5545: it ends when it starts. A window needs some length: one minute.
        60
    };
    if seconds < 0 {
        return Err((
            ev.line,
            "the event ends before it starts (DTEND/DURATION)".into(),
        ));
    }
    let duration_min = u32::try_from(((seconds + 59) / 60).max(1))
        .map_err(|_| (ev.line, "the event lasts too long".to_string()))?;

    let mut rrules = ev.all("RRULE");
    let rrule = rrules.next();
    if let Some(second) = rrules.next() {
        return Err((
            second.line,
            "more than one RRULE in one VEVENT; Truce reads one".into(),
        ));
    }
    let rrule = rrule.map(|p| p.value.trim().to_string());
    if let (Some(rule), Some(p)) = (&rrule, ev.get("RRULE")) {
        recurrence::check_rule(rule, zone, starts_local).map_err(|e| (p.line, e))?;
    }
    let mut exrules = Vec::new();
    for p in ev.all("EXRULE") {
        recurrence::check_rule(&p.value, zone, starts_local)
            .map_err(|e| (p.line, format!("EXRULE: {e}")))?;
        exrules.push(p.value.trim().to_string());
    }
    let exrule = (!exrules.is_empty()).then(|| exrules.join("\n"));
    let mut exdates = Vec::new();
    let mut rdates = Vec::new();
    for (name, v) in raw_dates {
        if name == "EXDATE" {
            &mut exdates
        } else {
            &mut rdates
        }
        .push(when_in(v, zone));
    }
    let summary = ev
        .get("SUMMARY")
        .map(|p| text(&p.value))
        .filter(|s| !s.trim().is_empty());
    let categories: Vec<String> = ev.all("CATEGORIES").map(|p| text(&p.value)).collect();
    let kind = match (force_kind, ev.get("X-TRUCE-KIND")) {
        (Some(k), _) => k,
        (None, Some(p)) => WindowKind::parse(&p.value).ok_or((
            p.line,
            format!(
                "X-TRUCE-KIND '{}' is neither maintenance nor blackout",
                p.value
            ),
        ))?,
        (None, None) => {
            let words = format!(
                "{} {}",
                summary.as_deref().unwrap_or(""),
                categories.join(" ")
            )
            .to_lowercase();
            if ["freeze", "blackout", "black-out", "moratorium"]
                .iter()
                .any(|w| words.contains(w))
            {
                WindowKind::Blackout
            } else {
                WindowKind::Maintenance
            }
        }
    };
    let uid = ev
        .get("UID")
        .map(|p| p.value.trim().to_string())
        .filter(|u| !u.is_empty());
    let uid = uid.unwrap_or_else(|| {
        // No UID (RFC 5545 requires one): a key from what the event is, stable across re-imports.
        let key: String = ev
            .props
            .iter()
            .filter(|p| p.name != "DTSTAMP")
            .map(|p| format!("{}:{}\n", p.name, p.value))
            .collect();
        format!("no-uid-{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
    });
    let recurrence_id = match ev.get("RECURRENCE-ID") {
        Some(p) => when_in(dt(p, &p.value)?, zone).to_text(),
        None => String::new(),
    };
    if ev
        .get("STATUS")
        .is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"))
        && recurrence_id.is_empty()
    {
        return Ok(None);
    }
    let name = summary.unwrap_or_else(|| format!("(untitled event {uid})"));
    // A calendar says nothing of hosts: "Weekly Linux patching" is for Linux hosts all the same
    // (`os:linux`, the tag their OS implies), unless the event gives its own tags.
    let asset_tags = list_prop(ev, "X-TRUCE-ASSET-TAGS")
        .or_else(|| crate::planning::fixkey::implied_os_scope(&name).map(|tag| vec![tag]));
    let spec = WindowSpec {
        name,
        kind,
        description: ev
            .get("DESCRIPTION")
            .map(|p| text(&p.value))
            .filter(|s| !s.trim().is_empty()),
        time_zone: zone.name().to_string(),
        starts_local,
        duration_min,
        rrule,
        exrule,
        exdates: recurrence::list_text(&exdates),
        rdates: recurrence::list_text(&rdates),
        environments: list_prop(ev, "X-TRUCE-ENVIRONMENTS"),
        asset_tags,
        teams: list_prop(ev, "X-TRUCE-TEAMS"),
        max_assets: count_prop(ev, "X-TRUCE-MAX-ASSETS")?,
        max_items: count_prop(ev, "X-TRUCE-MAX-ITEMS")?,
    };
    let sequence = ev.get("SEQUENCE").and_then(|p| p.value.trim().parse().ok());
    let modified = ev
        .get("LAST-MODIFIED")
        .or(ev.get("DTSTAMP"))
        .map(|p| p.value.trim().to_string());
    let cancelled = ev
        .get("STATUS")
        .is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"));
    let mut parsed = ParsedEvent {
        uid,
        recurrence_id,
        spec,
        sequence,
        modified,
        line: ev.line,
    };
    if cancelled {
        // A cancelled instance: only its EXDATE on the series is kept (see apply_overrides).
        parsed.spec.duration_min = 0;
    }
    Ok(Some(parsed))
}

/// A comma-separated Truce scope property ('X-TRUCE-ENVIRONMENTS:prod,staging').
fn list_prop(ev: &RawEvent, name: &str) -> Option<Vec<String>> {
    let items: Vec<String> = ev
        .all(name)
        .flat_map(|p| {
            p.value
                .split(',')
                .map(|v| text(v.trim()))
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .collect();
    (!items.is_empty()).then_some(items)
}

fn count_prop(ev: &RawEvent, name: &str) -> std::result::Result<Option<u32>, Problem> {
    ev.get(name)
        .map(|p| {
            p.value.trim().parse().map_err(|_| {
                (
                    p.line,
                    format!("{name} '{}' is not a whole number", p.value),
                )
            })
        })
        .transpose()
}

/// Moves overrides into their series: each RECURRENCE-ID becomes an EXDATE of the series with
/// that UID; an override that is not cancelled stays as a one-off window.
fn apply_overrides(events: Vec<ParsedEvent>) -> std::result::Result<Vec<ParsedEvent>, Problem> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut events = events;
    // Events without a UID that say exactly the same thing are told apart by their order.
    let mut no_uid: HashMap<String, usize> = HashMap::new();
    for e in events.iter_mut().filter(|e| e.uid.starts_with("no-uid-")) {
        let n = no_uid.entry(e.uid.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            e.uid = format!("{}-{n}", e.uid);
        }
    }
    for e in &events {
        if let Some(first) = seen.insert((e.uid.clone(), e.recurrence_id.clone()), e.line) {
            return Err((
                e.line,
                format!("UID '{}' is used again (first at line {first})", e.uid),
            ));
        }
    }
    let masters: HashMap<String, usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.recurrence_id.is_empty())
        .map(|(i, e)| (e.uid.clone(), i))
        .collect();
    let overrides: Vec<(usize, String, usize)> = events
        .iter()
        .filter(|e| !e.recurrence_id.is_empty())
        .filter_map(|e| {
            masters
                .get(&e.uid)
                .map(|m| (*m, e.recurrence_id.clone(), e.line))
        })
        .collect();
    for (m, rid, line) in overrides {
        let master = &mut events[m].spec;
        let mut list = recurrence::parse_list(master.exdates.as_deref()).map_err(|e| (line, e))?;
        let w = When::parse(&rid).map_err(|e| (line, format!("RECURRENCE-ID: {e}")))?;
        list.push(w);
        master.exdates = recurrence::list_text(&list);
    }
    // Names of overrides without a SUMMARY come from their series.
    let names: HashMap<String, String> = events
        .iter()
        .filter(|e| e.recurrence_id.is_empty())
        .map(|e| (e.uid.clone(), e.spec.name.clone()))
        .collect();
    let mut out = Vec::new();
    for mut e in events {
        if e.spec.duration_min == 0 {
            continue; // cancelled override
        }
        if !e.recurrence_id.is_empty() {
            e.spec.rrule = None;
            e.spec.exrule = None;
            if e.spec.name.starts_with("(untitled event") {
                if let Some(n) = names.get(&e.uid) {
                    e.spec.name = n.clone();
                }
            }
        }
        out.push(e);
    }
    Ok(out)
}
