//! Every .ics file of `tests/corpus/calendars/` imported into a workspace, its occurrences
//! checked against `truth_ics.tsv` (what the source projects' tests assert, and the derived lists).

mod common;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use truce_core::calendar::{self, ical, recurrence, Occurrence, WindowKind};
use truce_core::Workspace;

fn path(rel: &str) -> std::path::PathBuf {
    common::corpus(&format!("../calendars/{rel}"))
}

fn import(rel: &str) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    ical::import_file(&mut ws, &path(rel), None).unwrap_or_else(|e| panic!("{rel}: {e}"));
    (dir, ws)
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn day(s: &str) -> DateTime<Utc> {
    utc(&format!("{s}T00:00:00Z"))
}

fn occ(ws: &Workspace, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
    calendar::occurrences(ws.conn(), from, to).unwrap()
}

fn starts(o: &[Occurrence]) -> Vec<String> {
    o.iter()
        .map(|o| o.start_utc.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .collect()
}

fn of_uid(ws: &Workspace, uid: &str) -> String {
    calendar::list(ws.conn())
        .unwrap()
        .into_iter()
        .find(|w| w.source_uid.as_deref() == Some(uid))
        .unwrap_or_else(|| panic!("no window for UID {uid}"))
        .id
}

/// Occurrences overlapping the local calendar day `d` in `zone` (what `at(day)` asks).
fn at_day(ws: &Workspace, d: &str, zone: chrono_tz::Tz) -> Vec<Occurrence> {
    let start = zone
        .from_local_datetime(
            &NaiveDateTime::parse_from_str(&format!("{d}T00:00:00"), "%Y-%m-%dT%H:%M:%S").unwrap(),
        )
        .unwrap();
    let start = start.with_timezone(&Utc);
    occ(ws, start, start + Duration::days(1))
}

#[test]
fn issue_20_exdates_in_utc_match_berlin_wall_time_across_dst() {
    let (_d, ws) = import("recurring_ical_events/issue_20_exdate_ignored.ics");
    let all = occ(&ws, day("2019-01-01"), day("2021-01-01"));
    assert_eq!(
        starts(&all),
        [
            "2019-10-29T15:15:00Z",
            "2019-11-12T15:15:00Z",
            "2019-12-10T15:15:00Z",
            "2020-01-07T15:15:00Z",
            "2020-01-14T15:15:00Z",
            "2020-01-21T15:15:00Z",
            "2020-01-28T15:15:00Z"
        ]
    );
    assert!(all
        .iter()
        .all(|o| o.start_local.format("%H:%M").to_string() == "16:15"
            && o.time_zone == "Europe/Berlin"));
    assert!(all
        .iter()
        .all(|o| o.end_utc - o.start_utc == Duration::minutes(90)));
    for ex in [
        "2019-10-15",
        "2019-10-22",
        "2019-11-05",
        "2019-11-19",
        "2019-11-26",
        "2019-12-03",
        "2019-12-17",
        "2019-12-24",
        "2019-12-31",
    ] {
        assert!(
            at_day(&ws, ex, chrono_tz::Europe::Berlin).is_empty(),
            "{ex} is an EXDATE"
        );
    }
}

#[test]
fn weekly_with_deleted_weeks() {
    let (_d, ws) = import("recurring_ical_events/each_week_but_one_deleted.ics");
    let all = occ(&ws, day("2019-01-01"), day("2020-01-01"));
    assert_eq!(all.len(), 7);
    let local: Vec<String> = all
        .iter()
        .map(|o| o.start_local.format("%Y-%m-%dT%H:%M").to_string())
        .collect();
    assert_eq!(
        local,
        [
            "2019-03-04T00:30",
            "2019-03-18T00:30",
            "2019-03-25T00:30",
            "2019-04-01T00:30",
            "2019-04-08T00:30",
            "2019-04-15T00:30",
            "2019-04-22T00:30"
        ]
    );
    // 00:30 local is 23:30Z the day before in CET, 22:30Z in CEST.
    assert_eq!(starts(&all)[0], "2019-03-03T23:30:00Z");
    assert_eq!(starts(&all)[3], "2019-03-31T22:30:00Z");

    let (_d, ws) = import("recurring_ical_events/each_week_but_two_deleted.ics");
    let all = occ(&ws, day("2019-01-01"), day("2020-01-01"));
    assert_eq!(all.len(), 6);
    assert!(!all
        .iter()
        .any(|o| o.start_local.format("%m-%d").to_string() == "03-25"));
}

#[test]
fn google_export_keeps_19_00_berlin_across_dst() {
    let (_d, ws) = import("recurring_ical_events/daylight_saving_time.ics");
    let id = of_uid(&ws, "7uartkcnhf0elbvs8md0itrf6c@google.com");
    let o =
        calendar::window_occurrences(ws.conn(), &id, day("2019-02-01"), day("2019-06-01")).unwrap();
    let local: Vec<String> = o
        .iter()
        .map(|o| o.start_local.format("%Y-%m-%dT%H:%M").to_string())
        .collect();
    let want: Vec<String> = [
        "02-13", "02-20", "02-27", "03-06", "03-13", "03-20", "03-27", "04-03", "04-10", "04-17",
        "04-24", "05-01", "05-08", "05-15", "05-22", "05-29",
    ]
    .iter()
    .map(|d| format!("2019-{d}T19:00"))
    .collect();
    assert_eq!(local, want);
    let s = starts(&o);
    assert!(s.contains(&"2019-03-20T18:00:00Z".to_string()), "{s:?}");
    assert!(s.contains(&"2019-04-24T17:00:00Z".to_string()), "{s:?}");
}

#[test]
fn all_day_events_stay_on_their_day() {
    let (_d, ws) = import("recurring_ical_events/one_day_event_repeat_every_day.ics");
    // The file's only zone is its VTIMEZONE, Europe/Berlin: the days are Berlin's days.
    for d in ["2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07"] {
        assert_eq!(at_day(&ws, d, chrono_tz::Europe::Berlin).len(), 1, "{d}");
    }
    // Up to 10 March 00:00 UTC: the 10th's occurrence began at Berlin midnight (23:00 UTC).
    let o = occ(&ws, day("2019-03-01"), day("2019-03-10"));
    let days: Vec<String> = o
        .iter()
        .map(|o| o.start_local.format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(
        days,
        [
            "2019-03-04",
            "2019-03-05",
            "2019-03-06",
            "2019-03-07",
            "2019-03-08",
            "2019-03-09",
            "2019-03-10"
        ]
    );
    assert!(o
        .iter()
        .all(|o| o.time_zone == "Europe/Berlin"
            && o.start_local.format("%H:%M").to_string() == "00:00"));

    let (_d, ws) = import("recurring_ical_events/issue_44_double_event.ics");
    let london = chrono_tz::Europe::London;
    let o = at_day(&ws, "2020-08-14", london);
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].window_name, "test2");
    assert!(at_day(&ws, "2020-08-13", london).is_empty());
    assert!(at_day(&ws, "2020-08-15", london).is_empty());
}

#[test]
fn rdates_count_once_and_exdates_remove_them() {
    let (_d, ws) = import("recurring_ical_events/rdate_hackerpublicradio.ics");
    assert_eq!(
        starts(&occ(&ws, day("2013-01-01"), day("2015-01-01"))),
        [
            "2013-08-03T19:00:00Z",
            "2013-08-31T19:00:00Z",
            "2013-10-05T19:00:00Z",
            "2013-11-02T19:00:00Z",
            "2013-11-30T19:00:00Z",
            "2014-01-04T19:00:00Z",
            "2014-02-01T19:00:00Z",
            "2014-03-01T19:00:00Z",
            "2014-04-05T19:00:00Z",
            "2014-05-03T19:00:00Z",
            "2014-05-31T19:00:00Z",
            "2014-07-05T19:00:00Z"
        ]
    );
    let (_d, ws) = import("recurring_ical_events/rdate.ics");
    let n = |d: &str| at_day(&ws, d, chrono_tz::UTC).len();
    assert_eq!(
        [n("2014-07-05"), n("2015-07-05"), n("2025-07-05")],
        [1, 0, 0]
    );
}

#[test]
fn lisbon_weekly_follows_the_end_of_dst() {
    let (_d, ws) = import("recurring_ical_events/issue_48_daylight_aware_repeats.ics");
    let lisbon = chrono_tz::Europe::Lisbon;
    let at = |hm: &str| {
        let t = lisbon
            .from_local_datetime(
                &NaiveDateTime::parse_from_str(&format!("2020-11-02T{hm}"), "%Y-%m-%dT%H:%M")
                    .unwrap(),
            )
            .unwrap()
            .with_timezone(&Utc);
        occ(&ws, t, t + Duration::seconds(1))
            .into_iter()
            .map(|o| o.window_id)
            .collect::<Vec<_>>()
    };
    let event2 = of_uid(&ws, "EVENT2");
    assert!(at("11:15").is_empty());
    for hm in ["11:31", "12:00", "12:01", "12:59"] {
        assert_eq!(at(hm), std::slice::from_ref(&event2), "{hm}");
    }
    assert!(at("13:01").is_empty());
    let o = calendar::window_occurrences(ws.conn(), &event2, day("2020-10-01"), day("2020-11-10"))
        .unwrap();
    assert_eq!(
        starts(&o),
        [
            "2020-10-05T10:30:00Z",
            "2020-10-12T10:30:00Z",
            "2020-10-19T10:30:00Z",
            "2020-10-26T11:30:00Z",
            "2020-11-02T11:30:00Z",
            "2020-11-09T11:30:00Z"
        ]
    );
}

#[test]
fn chicago_between_ten_and_three_has_three() {
    let (_d, ws) = import("recurring_ical_events/issue_48_dst.ics");
    let chicago = chrono_tz::America::Chicago;
    let t = |h| {
        chicago
            .with_ymd_and_hms(2020, 12, 11, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    let o = occ(&ws, t(10), t(15));
    let mut local: Vec<String> = o
        .iter()
        .map(|o| o.start_local.format("%H:%M").to_string())
        .collect();
    local.sort();
    assert_eq!(local, ["10:15", "12:30", "14:15"]);
}

#[test]
fn zimbra_export_with_rdates_exdates_and_overrides() {
    // The master alone (overrides removed from the text): what ical.js asserts.
    let text = std::fs::read_to_string(path("icaljs/recur_instances.ics")).unwrap();
    let master_only = drop_overrides(&text);
    let dir = tempfile::tempdir().unwrap();
    let mut ws = common::fresh(dir.path());
    ical::import_bytes(
        &mut ws,
        "recur_instances master",
        master_only.as_bytes(),
        None,
    )
    .unwrap();
    let o = occ(&ws, day("2012-01-01"), day("2013-02-01"));
    assert_eq!(
        starts(&o)[..6],
        [
            "2012-10-02T17:00:00Z",
            "2012-11-05T18:00:00Z",
            "2012-11-06T18:00:00Z",
            "2012-11-10T18:00:00Z",
            "2012-11-30T18:00:00Z",
            "2013-01-01T18:00:00Z"
        ]
    );
    // RDATE starts (the PERIOD's too), and the EXDATEs are gone.
    let later: Vec<String> = starts(&occ(&ws, day("2023-11-01"), day("2023-12-01")));
    assert!(
        later.contains(&"2023-11-23T09:00:00Z".to_string())
            && later.contains(&"2023-11-25T09:00:00Z".to_string()),
        "{later:?}"
    );
    let all = starts(&occ(&ws, day("2012-01-01"), day("2013-06-01")));
    for ex in [
        "2012-12-04T18:00:00Z",
        "2013-02-05T18:00:00Z",
        "2013-04-02T17:00:00Z",
    ] {
        assert!(!all.contains(&ex.to_string()), "{ex} is an EXDATE");
    }

    // With the two overrides: each moved instance leaves the series and stands on its own.
    let (_d, ws) = import("icaljs/recur_instances.ics");
    assert_eq!(
        starts(&occ(&ws, day("2012-10-01"), day("2013-03-01"))),
        [
            "2012-10-02T22:00:00Z",
            "2012-11-06T18:00:00Z",
            "2012-11-07T04:00:00Z",
            "2012-11-10T18:00:00Z",
            "2012-11-30T18:00:00Z",
            "2013-01-01T18:00:00Z"
        ]
    );
}

fn drop_overrides(text: &str) -> String {
    let mut out = String::new();
    for block in text.split_inclusive("END:VEVENT") {
        if block.contains("RECURRENCE-ID") {
            let keep = &block[..block.find("BEGIN:VEVENT").unwrap()];
            out.push_str(keep);
        } else {
            out.push_str(block);
        }
    }
    out
}

#[test]
fn floating_until_and_date_exdate() {
    let (_d, ws) = import("icaljs/recur_instances_finite.ics");
    assert_eq!(
        starts(&occ(&ws, day("2012-01-01"), day("2014-01-01"))),
        [
            "2012-10-02T17:00:00Z",
            "2012-11-05T18:00:00Z",
            "2012-11-06T18:00:00Z",
            "2012-11-10T18:00:00Z",
            "2012-12-04T18:00:00Z"
        ]
    );
    let (_d, ws) = import("icaljs/rdate_exdate.ics");
    assert_eq!(
        starts(&occ(&ws, day("2024-01-01"), day("2025-01-01"))),
        [
            "2024-06-09T03:00:00Z",
            "2024-06-10T03:00:00Z",
            "2024-06-12T03:00:00Z"
        ]
    );
}

#[test]
fn google_birthday_with_malformed_rdates() {
    let (_d, ws) = import("icaljs/google_birthday.ics");
    let o = occ(&ws, day("2010-01-01"), day("2020-01-01"));
    let mut days: Vec<String> = o
        .iter()
        .map(|o| o.start_local.format("%Y-%m-%d").to_string())
        .collect();
    days.dedup();
    assert_eq!(days, ["2012-12-10", "2013-12-10", "2014-12-10"]);
    assert!(o.iter().all(|o| o.time_zone == "America/Los_Angeles"));
}

#[test]
fn weekday_all_day_event_skips_weekends() {
    let (_d, ws) = import("icaljs/day_long_recur_yearly.ics");
    let o = occ(&ws, day("2012-08-01"), day("2012-09-01"));
    use chrono::Datelike;
    assert!(!o.is_empty());
    assert!(o
        .iter()
        .all(|o| o.start_local.weekday().num_days_from_monday() < 5));
    assert!(o
        .iter()
        .all(|o| o.end_utc - o.start_utc == Duration::days(1)));
}

#[test]
fn exdates_on_several_lines() {
    let (_d, ws) = import("icalendar/event_with_recurrence_exdates_on_different_lines.ics");
    let o = occ(&ws, day("2012-01-01"), day("2013-01-01"));
    let local: Vec<String> = o
        .iter()
        .map(|o| o.start_local.format("%m-%d %H:%M").to_string())
        .collect();
    assert_eq!(
        local,
        [
            "03-27 10:00",
            "04-24 10:00",
            "05-08 10:00",
            "05-15 10:00",
            "05-22 10:00",
            "06-05 10:00",
            "06-12 10:00",
            "06-19 10:00",
            "06-26 10:00",
            "07-03 10:00"
        ]
    );
    assert!(o.iter().all(|o| o.time_zone == "Europe/Vienna"));
}

#[test]
fn rfc_5545_rdate_examples() {
    let (_d, ws) = import("icalendar/rfc_5545_RDATE_example.ics");
    let of = |uid: &str| {
        starts(
            &calendar::window_occurrences(
                ws.conn(),
                &of_uid(&ws, uid),
                day("1990-01-01"),
                day("2000-01-01"),
            )
            .unwrap(),
        )
    };
    assert_eq!(of("0"), ["1997-07-14T12:30:00Z"]); // floating, read in UTC (no X-WR-TIMEZONE)
    assert_eq!(of("1"), ["1997-07-14T12:30:00Z"]);
    assert_eq!(of("2"), ["1997-07-14T12:30:00Z"]); // 08:30 in New York (EDT)
    assert_eq!(of("3"), ["1996-04-03T02:00:00Z", "1996-04-04T01:00:00Z"]);
    let dates = [
        "01-01", "01-20", "02-17", "04-21", "05-26", "07-04", "09-01", "10-14", "11-28", "11-29",
        "12-25",
    ];
    let want: Vec<String> = dates
        .iter()
        .map(|d| format!("1997-{d}T00:00:00Z"))
        .collect();
    assert_eq!(of("4"), want);
    assert_eq!(
        of("5").len(),
        11 + 2 + 1,
        "the date list, two periods, and 12:30Z given twice counts once"
    );
}

#[test]
fn custom_tzid_is_read_as_the_iana_zone_it_names() {
    let (_d, ws) = import("icalendar/america_new_york.ics");
    let o = occ(&ws, day("2014-08-01"), day("2014-09-01"));
    assert_eq!(starts(&o), ["2014-08-29T12:00:00Z"]);
    assert_eq!(o[0].time_zone, "America/New_York");
    assert_eq!(o[0].end_utc, utc("2014-08-29T14:00:00Z"));
}

/// The VTIMEZONE sub-components (DAYLIGHT/STANDARD) of `rel`: (DTSTART wall time, RRULE, RDATEs,
/// TZOFFSETFROM seconds, TZOFFSETTO seconds). Read by hand: Truce's import does not use them.
type ZonePart = (String, Option<String>, Vec<String>, i64, i64);

fn zone_parts(rel: &str) -> Vec<ZonePart> {
    let text = std::fs::read_to_string(path(rel)).unwrap();
    let offset = |v: &str| {
        let sign = if v.starts_with('-') { -1 } else { 1 };
        let d = &v[1..];
        let n = |r: std::ops::Range<usize>| d.get(r).map_or(0, |s| s.parse::<i64>().unwrap());
        sign * (n(0..2) * 3600 + n(2..4) * 60 + n(4..6))
    };
    let mut out = Vec::new();
    let mut cur: Option<ZonePart> = None;
    for line in text.lines() {
        let line = line.trim_end();
        if line == "BEGIN:DAYLIGHT" || line == "BEGIN:STANDARD" {
            cur = Some(Default::default());
        } else if line == "END:DAYLIGHT" || line == "END:STANDARD" {
            out.push(cur.take().unwrap());
        } else if let Some(c) = cur.as_mut() {
            let (k, v) = line.split_once(':').unwrap();
            match k {
                "DTSTART" => c.0 = v.to_string(),
                "RRULE" => c.1 = Some(v.to_string()),
                "RDATE" => c.2.push(v.to_string()),
                "TZOFFSETFROM" => c.3 = offset(v),
                "TZOFFSETTO" => c.4 = offset(v),
                _ => {}
            }
        }
    }
    out
}

/// Transitions of a VTIMEZONE, expanded with Truce's recurrence code: (instant, from, to).
fn transitions(rel: &str, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, i64, i64)> {
    let mut all = Vec::new();
    for (start, rrule, rdates, from_off, to_off) in zone_parts(rel) {
        let series = recurrence::Series {
            zone: chrono_tz::UTC,
            start_local: recurrence::parse_local(&start).unwrap(),
            duration: Duration::minutes(1),
            rrule: rrule.clone(),
            exrule: None,
            exdates: vec![],
            rdates: rdates
                .iter()
                .map(|r| recurrence::When::parse(r).unwrap())
                .collect(),
        };
        // The wall times are in the offset before the change; UNTIL (in UTC) is compared in
        // wall time here, which is within the day of slack the expansion keeps.
        let x = recurrence::expand(&series, day("1900-01-01"), to + Duration::days(2), 100_000)
            .unwrap();
        for i in x.instances {
            let t = i.start_local.and_utc() - Duration::seconds(from_off);
            if t < to {
                all.push((t, from_off, to_off));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn fiji_vtimezone_expands_to_the_64_transitions_of_the_source_test() {
    let want: Vec<String> = std::fs::read_to_string(path("icalendar/pacific_fiji.transitions.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    let got = transitions("icalendar/pacific_fiji.ics", day("2039-01-01"));
    // pytz keeps whole minutes (LMT +11:55:44 gives 12:04:16Z, listed as 12:04:00Z).
    let got_text: Vec<String> = got
        .iter()
        .map(|(t, _, _)| t.format("%Y-%m-%dT%H:%M:00Z").to_string())
        .collect();
    assert_eq!(got_text, want);
    for (i, (_, _, to)) in got.iter().enumerate().skip(1) {
        assert_eq!(
            *to,
            if i % 2 == 1 { 13 * 3600 } else { 12 * 3600 },
            "transition {i} alternates +13/+12"
        );
    }
}

#[test]
fn new_york_vtimezone_matches_the_iana_zone_truce_uses() {
    use chrono::Offset;
    let got = transitions(
        "icalendar/america_new_york.ics",
        utc("2037-11-01T06:00:01Z"),
    );
    let got: Vec<_> = got
        .into_iter()
        .filter(|(t, _, _)| *t >= utc("1967-04-30T07:00:00Z"))
        .collect();
    assert_eq!(got.len(), 142);
    let ny = chrono_tz::America::New_York;
    let off = |t: DateTime<Utc>| {
        i64::from(
            ny.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    };
    for (t, from, to) in got {
        assert_eq!(
            (off(t - Duration::seconds(1)), off(t)),
            (from, to),
            "transition at {t}"
        );
    }
}

#[test]
fn libical_regression_counts() {
    // Lines starting with ';' are the libical harness's comments (a commented-out event).
    let text: String = std::fs::read_to_string(path("libical/recur.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(';'))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let expected: Vec<usize> = text
        .split("BEGIN:VEVENT")
        .skip(1)
        .map(|b| {
            let i = b
                .find("X-EXPECT-NUMEVENTS:")
                .expect("each event states its count");
            b[i + 19..].lines().next().unwrap().trim().parse().unwrap()
        })
        .collect();
    // truth_ics.tsv counts 58 VEVENTs; one of them is the commented-out ';BEGIN:VEVENT' block.
    assert_eq!(expected.len(), 57);
    let events = ical::parse("recur.txt", text.as_bytes(), None).unwrap();
    assert_eq!(events.len(), 57);
    let (from, to) = (
        utc("1970-01-01T00:00:01Z"),
        DateTime::from_timestamp(1748497476, 0).unwrap(),
    );
    let mut wrong = Vec::new();
    for (n, (e, want)) in events.iter().zip(&expected).enumerate() {
        let series = e.spec.series().unwrap();
        let x = recurrence::expand(
            &series,
            from - series.duration + Duration::seconds(1),
            to,
            100_000,
        )
        .unwrap();
        if x.instances.len() != *want {
            wrong.push(format!(
                "event {} (line {}): {} occurrences, libical expects {want}",
                n + 1,
                e.line,
                x.instances.len()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn kinds_from_the_event_or_forced() {
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Year-end change freeze\r\nDTSTART:20261218T000000Z\r\nDURATION:P14D\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:b\r\nSUMMARY:Patch night\r\nDTSTART;TZID=Europe/Berlin:20261201T220000\r\nDURATION:PT4H\r\nRRULE:FREQ=WEEKLY;BYDAY=TU\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:c\r\nSUMMARY:Quiet\r\nX-TRUCE-KIND:blackout\r\nX-TRUCE-ENVIRONMENTS:prod, staging\r\nX-TRUCE-TEAMS:t1\r\nX-TRUCE-MAX-ITEMS:7\r\nDTSTART:20261201T000000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let kinds = |force| -> Vec<WindowKind> {
        ical::parse("k.ics", ics.as_bytes(), force)
            .unwrap()
            .iter()
            .map(|e| e.spec.kind)
            .collect()
    };
    assert_eq!(
        kinds(None),
        [
            WindowKind::Blackout,
            WindowKind::Maintenance,
            WindowKind::Blackout
        ]
    );
    assert_eq!(
        kinds(Some(WindowKind::Maintenance)),
        [WindowKind::Maintenance; 3]
    );
    let quiet = &ical::parse("k.ics", ics.as_bytes(), None).unwrap()[2].spec;
    assert_eq!(
        quiet.environments,
        Some(vec!["prod".to_string(), "staging".to_string()])
    );
    assert_eq!(
        (
            quiet.teams.clone(),
            quiet.asset_tags.clone(),
            quiet.max_items
        ),
        (Some(vec!["t1".to_string()]), None, Some(7))
    );
    let bad = ics.replace("X-TRUCE-MAX-ITEMS:7", "X-TRUCE-MAX-ITEMS:lots");
    let e = ical::parse("k.ics", bad.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("k.ics: line 21") && e.contains("lots"), "{e}");
}

#[test]
fn an_all_day_freeze_starts_at_midnight_in_the_calendars_own_zone() {
    // An Outlook-style export: a VTIMEZONE, a timed event in it, and an all-day freeze, but no
    // X-WR-TIMEZONE. The freeze begins at midnight in Berlin, not at 00:00 UTC (01:00 there).
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:p\r\nSUMMARY:Patch night\r\nDTSTART;TZID=Europe/Berlin:20261201T220000\r\nDURATION:PT4H\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:f\r\nSUMMARY:Year-end change freeze\r\nDTSTART;VALUE=DATE:20261218\r\nDTEND;VALUE=DATE:20270104\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let events = ical::parse("outlook.ics", ics.as_bytes(), None).unwrap();
    let freeze = &events[1].spec;
    assert_eq!(freeze.kind, WindowKind::Blackout);
    assert_eq!(
        (
            freeze.time_zone.as_str(),
            freeze.starts_local.to_string().as_str(),
            freeze.duration_min
        ),
        ("Europe/Berlin", "2026-12-18 00:00:00", 17 * 24 * 60)
    );
    // Without any zone in the file, an all-day event stays at midnight UTC, as before.
    let bare = ics
        .replace("DTSTART;TZID=Europe/Berlin:20261201T220000", "DTSTART:20261201T210000Z")
        .replace(
            "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
            "",
        );
    let events = ical::parse("bare.ics", bare.as_bytes(), None).unwrap();
    assert_eq!(events[1].spec.time_zone, "UTC");
}
