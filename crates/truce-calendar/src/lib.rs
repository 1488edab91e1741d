//! Expanding one window series (zone, first local start, RRULE, EXDATE, RDATE) into concrete
//! instants. The rule is expanded on local wall-clock time by the `rrule` crate (treating the
//! wall time as if it were UTC, so the crate never meets a DST gap), and each wall time is then
//! placed in the window's IANA zone by RFC 5545's rules: a time that falls in a DST gap moves
//! forward by the length of the gap, an ambiguous one (DST ends) means the first of the two.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;
use rrule::{RRule, RRuleSet, Unvalidated};

/// No expansion returns more occurrences than this; asking for more is an error.
pub const MAX_OCCURRENCES: usize = 10_000;
/// No expansion looks at more rule instances than this (counting those before the range), so a
/// hostile rule (`FREQ=SECONDLY` from 1900) cannot keep the app busy.
pub const MAX_STEPS: usize = 2_000_000;

/// One EXDATE or RDATE value, as RFC 5545 allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// A wall time in the window's zone (a floating value, or one with the window's TZID).
    Local(NaiveDateTime),
    /// An instant (`...Z`, or a value with another TZID, converted).
    Utc(DateTime<Utc>),
    /// A whole day (`VALUE=DATE`): as EXDATE it removes every instance starting that local day.
    Date(NaiveDate),
}

impl When {
    /// Reads `20190310T233000Z`, `20190311T003000` or `20190311`.
    pub fn parse(s: &str) -> Result<When, String> {
        let s = s.trim();
        if let Some(utc) = s.strip_suffix('Z').or_else(|| s.strip_suffix('z')) {
            if utc.len() == 8 {
                // Google writes DATE values with a Z ('20131210Z'); read it as the date.
                return parse_date(utc).map(When::Date);
            }
            return parse_local(utc).map(|t| When::Utc(t.and_utc()));
        }
        if s.len() == 8 {
            return parse_date(s).map(When::Date);
        }
        parse_local(s).map(When::Local)
    }

    /// The RFC 5545 text stored in the workspace.
    pub fn to_text(self) -> String {
        match self {
            When::Local(t) => t.format("%Y%m%dT%H%M%S").to_string(),
            When::Utc(t) => t.format("%Y%m%dT%H%M%SZ").to_string(),
            When::Date(d) => d.format("%Y%m%d").to_string(),
        }
    }
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y%m%d").map_err(|_| format!("'{s}' is not a date (YYYYMMDD)"))
}

pub fn parse_local(s: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("'{s}' is not a date-time (YYYYMMDDTHHMMSS, optionally ending in Z)"))
}

/// Reads a list of values separated by commas (several EXDATE lines are joined the same way).
pub fn parse_list(s: Option<&str>) -> Result<Vec<When>, String> {
    match s {
        None => Ok(Vec::new()),
        Some(s) => s
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .map(When::parse)
            .collect(),
    }
}

pub fn list_text(values: &[When]) -> Option<String> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|w| w.to_text())
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// A series as the expansion needs it.
#[derive(Debug, Clone)]
pub struct Series {
    pub zone: Tz,
    pub start_local: NaiveDateTime,
    pub duration: Duration,
    pub rrule: Option<String>,
    pub exrule: Option<String>,
    pub exdates: Vec<When>,
    pub rdates: Vec<When>,
}

/// One concrete occurrence: where it starts, in UTC and as the wall clock in the zone shows it
/// (which differs from the rule's wall time only when that fell in a DST gap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    pub start_utc: DateTime<Utc>,
    pub start_local: NaiveDateTime,
}

pub struct Expansion {
    pub instances: Vec<Instance>,
    /// `limit` instances were produced and there may be more.
    pub truncated: bool,
}

/// The parsed rule, ready to iterate in wall-clock space.
struct Rule {
    set: RRuleSet,
    /// An UNTIL given as an instant, checked exactly after the wall time is placed in the zone.
    until_utc: Option<DateTime<Utc>>,
    /// Rule instances before this wall time are not part of the series (see `parse_rule`).
    skip_before: Option<NaiveDateTime>,
    /// A COUNT applied here rather than by the crate (with `skip_before`).
    count: Option<usize>,
}

/// Wall time as the `rrule` crate's UTC (the crate only ever sees wall-clock arithmetic).
fn wall(t: NaiveDateTime) -> DateTime<rrule::Tz> {
    t.and_utc().with_timezone(&rrule::Tz::UTC)
}

/// Checks that `rule` is an RRULE this expansion can run from `start_local` in `zone`.
pub fn check_rule(rule: &str, zone: Tz, start_local: NaiveDateTime) -> Result<(), String> {
    parse_rule(rule, zone, start_local).map(|_| ())
}

fn parse_rule(rule: &str, zone: Tz, start_local: NaiveDateTime) -> Result<Rule, String> {
    let text = rule.trim();
    let text = text.strip_prefix("RRULE:").unwrap_or(text);
    let mut until = None;
    let mut parts: Vec<String> = Vec::new();
    for part in text.split(';').filter(|p| !p.trim().is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("RRULE part '{part}' is not NAME=VALUE"))?;
        match key.trim().to_ascii_uppercase().as_str() {
            "UNTIL" => until = Some(When::parse(value).map_err(|e| format!("RRULE UNTIL: {e}"))?),
            "BYEASTER" => {
                return Err("RRULE BYEASTER is a python-dateutil extension, not RFC 5545; Truce does not expand it".into())
            }
            _ => parts.push(part.trim().to_string()),
        }
    }
    let given = parts.clone();
    let value_of = |key: &str| {
        given.iter().find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case(key)
                .then(|| v.trim().to_ascii_uppercase())
        })
    };
    let has = |key: &str| value_of(key).is_some();
    let Some(freq) = value_of("FREQ") else {
        return Err(format!("RRULE '{text}' has no FREQ"));
    };
    // RFC 5545: what the rule leaves out comes from DTSTART. The `rrule` crate (a port of
    // python-dateutil) instead takes every day of the week / every month; say it explicitly.
    if freq == "YEARLY"
        && has("BYWEEKNO")
        && !has("BYDAY")
        && !has("BYMONTHDAY")
        && !has("BYYEARDAY")
    {
        let day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
            [start_local.weekday().num_days_from_monday() as usize];
        parts.push(format!("BYDAY={day}"));
    }
    if freq == "YEARLY"
        && has("BYMONTHDAY")
        && !has("BYMONTH")
        && !has("BYDAY")
        && !has("BYWEEKNO")
        && !has("BYYEARDAY")
    {
        parts.push(format!("BYMONTH={}", start_local.month()));
    }
    // A WEEKLY rule with BYSETPOS picks positions in whole weeks (from WKST), but the crate
    // starts the first week at DTSTART. Expand from the week's start instead; instances before
    // DTSTART are dropped, and COUNT is applied here to what remains.
    let mut skip_before = None;
    let mut count = None;
    let mut back_days = 0;
    if freq == "WEEKLY" && has("BYSETPOS") {
        let wkst = match value_of("WKST").as_deref() {
            Some("TU") => 1,
            Some("WE") => 2,
            Some("TH") => 3,
            Some("FR") => 4,
            Some("SA") => 5,
            Some("SU") => 6,
            _ => 0,
        };
        let back = (start_local.weekday().num_days_from_monday() as i64 - wkst).rem_euclid(7);
        if back > 0 {
            back_days = back;
            skip_before = Some(start_local);
            count = value_of("COUNT").and_then(|c| c.parse::<usize>().ok());
            parts.retain(|p| !p.to_ascii_uppercase().starts_with("COUNT="));
        }
    }
    // The crate yields nothing for a MONTHLY/YEARLY BYDAY mixing ordinals (3MO) with plain days
    // (WE): expand the two halves as two rules of one set; COUNT then applies to their union here.
    let mut second: Option<Vec<String>> = None;
    if matches!(freq.as_str(), "MONTHLY" | "YEARLY") && !has("BYSETPOS") {
        if let Some(days) = value_of("BYDAY") {
            let (nth, plain): (Vec<&str>, Vec<&str>) =
                days.split(',').map(str::trim).partition(|d| d.len() > 2);
            if !nth.is_empty() && !plain.is_empty() {
                count = count.or(value_of("COUNT").and_then(|c| c.parse::<usize>().ok()));
                parts.retain(|p| {
                    let up = p.to_ascii_uppercase();
                    !up.starts_with("COUNT=") && !up.starts_with("BYDAY=")
                });
                let mut other = parts.clone();
                other.push(format!("BYDAY={}", plain.join(",")));
                parts.push(format!("BYDAY={}", nth.join(",")));
                second = Some(other);
            }
        }
    }
    let rule_start = start_local - Duration::days(back_days);
    let mut until_utc = None;
    let wall_until = until.map(|u| match u {
        When::Local(t) => t,
        // A date UNTIL includes that whole day.
        When::Date(d) => d.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time")),
        When::Utc(t) => {
            until_utc = Some(t);
            // A day of slack in wall-clock space; the exact cut is made in UTC.
            t.with_timezone(&zone).naive_local() + Duration::days(1)
        }
    });
    let unvalidated = |parts: &[String]| -> Result<RRule<Unvalidated>, String> {
        let rule: RRule<Unvalidated> = parts
            .join(";")
            .parse()
            .map_err(|e: rrule::RRuleError| format!("RRULE '{text}': {e}"))?;
        Ok(match wall_until {
            Some(u) => rule.until(wall(u)),
            None => rule,
        })
    };
    let mut set = unvalidated(&parts)?
        .build(wall(rule_start))
        .map_err(|e| format!("RRULE '{text}': {e}"))?;
    if let Some(other) = second {
        let rule = unvalidated(&other)?
            .validate(wall(rule_start))
            .map_err(|e| format!("RRULE '{text}': {e}"))?;
        set = set.rrule(rule);
    }
    Ok(Rule {
        set: set.limit(),
        until_utc,
        skip_before,
        count,
    })
}

/// Places a wall time in `zone` (RFC 5545 section 3.3.5): a time in a DST gap is read with the
/// offset from before the gap, so it moves forward by the gap; an ambiguous one is the first.
pub fn resolve_local(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // The offset in force just before the gap: walk back to the last wall time that exists.
            let mut back = Duration::minutes(15);
            while back <= Duration::hours(48) {
                if let Some(t) = zone.from_local_datetime(&(local - back)).earliest() {
                    let offset = Duration::seconds(t.offset().fix().local_minus_utc().into());
                    return (local - offset).and_utc();
                }
                back += Duration::minutes(15);
            }
            local.and_utc()
        }
    }
}

fn instance(zone: Tz, local: NaiveDateTime) -> Instance {
    let start_utc = resolve_local(zone, local);
    Instance {
        start_utc,
        start_local: start_utc.with_timezone(&zone).naive_local(),
    }
}

/// The instances of `series` that start in `[from, to)`, in order, at most `limit` of them
/// (`limit` is capped at [`MAX_OCCURRENCES`]).
pub fn expand(
    series: &Series,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: usize,
) -> Result<Expansion, String> {
    let limit = limit.min(MAX_OCCURRENCES);
    let zone = series.zone;
    let mut out: Vec<Instance> = Vec::new();
    let mut truncated = false;
    // Wall-clock bound with a day of slack both sides; exact bounds are applied in UTC.
    let hi_wall = to.with_timezone(&zone).naive_local() + Duration::days(1);
    // EXRULE instances, as wall times, up to the same bound.
    let mut ex_walls = std::collections::HashSet::new();
    for exrule in series
        .exrule
        .iter()
        .flat_map(|r| r.lines())
        .filter(|r| !r.trim().is_empty())
    {
        let rule =
            parse_rule(exrule, zone, series.start_local).map_err(|e| format!("EXRULE: {e}"))?;
        for t in &rule.set {
            let local = t.naive_utc();
            if local > hi_wall || ex_walls.len() >= MAX_STEPS {
                break;
            }
            ex_walls.insert(resolve_local(zone, local));
        }
    }
    // EXDATEs resolved once into sets: a lookup per instance, not a scan of the whole list with
    // a zone conversion each (300,000 EXDATEs took 13-30 s a command).
    let mut ex_instants: std::collections::HashSet<DateTime<Utc>> = ex_walls;
    let mut ex_days = std::collections::HashSet::new();
    for x in &series.exdates {
        match *x {
            When::Local(t) => {
                ex_instants.insert(resolve_local(zone, t));
            }
            When::Utc(t) => {
                ex_instants.insert(t);
            }
            When::Date(d) => {
                ex_days.insert(d);
            }
        }
    }
    let excluded = |i: &Instance| {
        ex_instants.contains(&i.start_utc) || ex_days.contains(&i.start_local.date())
    };
    match &series.rrule {
        Some(rule) => {
            let rule = parse_rule(rule, zone, series.start_local)?;
            let mut steps = 0usize;
            let mut counted = 0usize;
            // Instances more than a day (of wall time) before `from` are only counted, not placed.
            let lo_wall = from.with_timezone(&zone).naive_local() - Duration::days(1);
            let mut previous = None;
            for t in &rule.set {
                steps += 1;
                if steps > MAX_STEPS {
                    return Err(format!(
                        "the rule needs more than {MAX_STEPS} steps to reach {}; it repeats too often for so long a span",
                        to.format("%Y-%m-%d")
                    ));
                }
                let local = t.naive_utc();
                if local > hi_wall {
                    break;
                }
                // Two rules of one set may give the same instance; it counts once.
                if previous.replace(local) == Some(local) {
                    continue;
                }
                if rule.skip_before.is_some_and(|s| local < s) {
                    continue;
                }
                counted += 1;
                if rule.count.is_some_and(|c| counted > c) {
                    break;
                }
                if local < lo_wall {
                    continue;
                }
                let i = instance(zone, local);
                if rule.until_utc.is_some_and(|u| i.start_utc > u) {
                    break;
                }
                if i.start_utc >= to || i.start_utc < from || excluded(&i) {
                    continue;
                }
                out.push(i);
                // Keep one beyond the limit so RDATEs merged below cannot hide truncation.
                if out.len() > limit {
                    break;
                }
            }
            // The crate ends a rule that finds no instance in 100,000 steps of its FREQ: such a
            // rule (FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30) has no occurrences, as ical.js and the
            // other libraries say. (A MINUTELY rule matching one month a year ends there too.)
        }
        None => {
            let i = instance(zone, series.start_local);
            if i.start_utc >= from && i.start_utc < to && !excluded(&i) {
                out.push(i);
            }
        }
    }
    for r in &series.rdates {
        let i = match *r {
            When::Local(t) => instance(zone, t),
            When::Utc(t) => Instance {
                start_utc: t,
                start_local: t.with_timezone(&zone).naive_local(),
            },
            When::Date(d) => instance(zone, d.and_time(series.start_local.time())),
        };
        if i.start_utc >= from && i.start_utc < to && !excluded(&i) {
            out.push(i);
        }
    }
    out.sort_by_key(|i| i.start_utc);
    out.dedup_by_key(|i| i.start_utc);
    if out.len() > limit {
        out.truncate(limit);
        truncated = true;
    }
    Ok(Expansion {
        instances: out,
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        parse_local(s).unwrap()
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_by_the_gap() {
        // Berlin 2019-03-31 02:30 does not exist; it is read with +01:00, i.e. 03:30 CEST.
        let u = resolve_local(chrono_tz::Europe::Berlin, t("20190331T023000"));
        assert_eq!(u.to_rfc3339(), "2019-03-31T01:30:00+00:00");
    }

    #[test]
    fn an_ambiguous_time_is_the_first() {
        // Berlin 2019-10-27 02:30 happens twice: first at +02:00 (00:30Z).
        let u = resolve_local(chrono_tz::Europe::Berlin, t("20191027T023000"));
        assert_eq!(u.to_rfc3339(), "2019-10-27T00:30:00+00:00");
    }

    #[test]
    fn byeaster_and_garbage_are_refused_by_name() {
        let z = chrono_tz::UTC;
        let e = check_rule("FREQ=YEARLY;BYEASTER=0", z, t("20200101T000000")).unwrap_err();
        assert!(e.contains("BYEASTER"), "{e}");
        let e = check_rule("FREQ=SOMETIMES", z, t("20200101T000000")).unwrap_err();
        assert!(e.contains("SOMETIMES"), "{e}");
        let e = check_rule("BYDAY=MO", z, t("20200101T000000")).unwrap_err();
        assert!(e.contains("FREQ"), "{e}");
    }

    #[test]
    fn a_rule_that_never_matches_has_no_occurrences() {
        let s = Series {
            zone: chrono_tz::UTC,
            start_local: t("20200101T000000"),
            duration: Duration::minutes(1),
            rrule: Some("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".into()),
            exrule: None,
            exdates: vec![],
            rdates: vec![],
        };
        let from = "2020-01-01T00:00:00Z".parse().unwrap();
        assert!(expand(&s, from, from + Duration::days(3650), 10)
            .unwrap()
            .instances
            .is_empty());
    }

    #[test]
    fn a_hostile_rule_stops_at_the_caps() {
        let s = Series {
            zone: chrono_tz::UTC,
            start_local: t("19000101T000000"),
            duration: Duration::seconds(1),
            rrule: Some("FREQ=SECONDLY".into()),
            exrule: None,
            exdates: vec![],
            rdates: vec![],
        };
        let far = "2030-01-01T00:00:00Z".parse().unwrap();
        let e = expand(&s, far, far + Duration::days(1), MAX_OCCURRENCES)
            .err()
            .unwrap();
        assert!(e.contains("steps"), "{e}");
        let near = "1900-01-01T00:00:00Z".parse().unwrap();
        let x = expand(&s, near, far, usize::MAX).unwrap();
        assert_eq!(x.instances.len(), MAX_OCCURRENCES);
        assert!(x.truncated);
    }
}
