//! SLA policies and due dates. A finding's allowed days are the smallest of: the base days of its
//! severity and every override that applies (known exploited, internet-facing asset, asset
//! criticality). Its due date is first seen + allowed days + the time approved exceptions paused
//! the clock. An item is due when its earliest open finding is.
//!
//! Status: `breached` once the due date has passed; `at risk` when less than 25% of the allowed
//! time is left, or the item is scheduled on an occurrence that ends after its due date;
//! otherwise `on track`. Info findings have no SLA.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection};

use super::types::{SlaPolicy, SlaStatus};
use crate::error::{Error, Result};
use crate::model::Severity;
use crate::Workspace;

/// The share of the allowed time below which an item is at risk.
pub const AT_RISK_SHARE: f64 = 0.25;

pub fn policies(conn: &Connection) -> Result<Vec<SlaPolicy>> {
    let mut stmt = conn.prepare(
        "SELECT scope, value, severity, days FROM sla_policies
         ORDER BY CASE scope WHEN 'severity' THEN 0 ELSE 1 END, scope, value, severity",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(SlaPolicy {
                scope: r.get(0)?,
                value: r.get(1)?,
                severity: r.get(2)?,
                days: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Sets (or with `days` None removes) one policy row; logged.
pub fn set_policy(ws: &mut Workspace, p: &SlaPolicy, remove: bool) -> Result<()> {
    let ok_scope = [
        "severity",
        "known_exploited",
        "internet_facing",
        "criticality",
    ]
    .contains(&p.scope.as_str());
    if !ok_scope {
        return Err(Error::Invalid(format!(
            "SLA scope '{}': expected severity, known_exploited, internet_facing or criticality",
            p.scope
        )));
    }
    if p.severity != "*" && Severity::parse(&p.severity).is_none() {
        return Err(Error::Invalid(format!(
            "severity '{}' is not one of critical, high, medium, low",
            p.severity
        )));
    }
    if p.days == 0 && !remove {
        return Err(Error::Invalid("an SLA needs at least 1 day".into()));
    }
    let tx = ws.write_tx()?;
    if remove {
        tx.execute(
            "DELETE FROM sla_policies WHERE scope = ?1 AND value = ?2 AND severity = ?3",
            params![p.scope, p.value, p.severity],
        )?;
    } else {
        tx.execute("INSERT OR REPLACE INTO sla_policies (scope, value, severity, days) VALUES (?1, ?2, ?3, ?4)", params![p.scope, p.value, p.severity, p.days])?;
    }
    super::stats::refresh(&tx)?;
    tx.commit()?;
    Ok(())
}

/// What a finding has, as far as the SLA is concerned.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub severity: Severity,
    pub known_exploited: bool,
    pub internet_facing: bool,
    pub criticality: &'a str,
}

/// The allowed days: the most restrictive policy that applies. None for info or no policy.
pub fn allowed_days(policies: &[SlaPolicy], f: Facts<'_>) -> Option<u32> {
    if f.severity == Severity::Info {
        return None;
    }
    let sev = f.severity.as_str();
    policies
        .iter()
        .filter(|p| p.severity == "*" || p.severity == sev)
        .filter(|p| match p.scope.as_str() {
            "severity" => p.value == sev,
            "known_exploited" => f.known_exploited && p.value == "yes",
            "internet_facing" => f.internet_facing && p.value == "yes",
            "criticality" => p.value == f.criticality,
            _ => false,
        })
        .map(|p| p.days)
        .min()
}

/// Status of something due at `due` with `allowed_days` in all, maybe placed on an occurrence
/// ending at `placed_until`.
pub fn status(
    due: Option<DateTime<Utc>>,
    allowed_days: u32,
    now: DateTime<Utc>,
    placed_until: Option<DateTime<Utc>>,
) -> SlaStatus {
    let Some(due) = due else {
        return SlaStatus::None;
    };
    if now >= due {
        return SlaStatus::Breached;
    }
    let left = (due - now).num_seconds() as f64;
    let allowed = (allowed_days as f64) * 86_400.0;
    if left < allowed * AT_RISK_SHARE || placed_until.is_some_and(|end| end > due) {
        SlaStatus::AtRisk
    } else {
        SlaStatus::OnTrack
    }
}

/// A SQLite julian day as a time.
pub fn from_julian(jd: f64) -> DateTime<Utc> {
    let secs = ((jd - 2_440_587.5) * 86_400.0).round() as i64;
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// The due time of a clock started at julian day `start` with `days` allowed.
pub fn due(start: f64, days: u32) -> DateTime<Utc> {
    from_julian(start) + Duration::days(days as i64)
}

/// SQL for the clock start of open finding `f` (in item `w.work_item_id`) as a julian day:
/// first seen, moved on by the time approved exceptions paused it. `?1` is now.
pub const CLOCK_START_SQL: &str = "julianday(f.first_seen) + coalesce((
    SELECT total(max(0, julianday(min(coalesce(e.ended_at, e.expires_at), ?1)) - julianday(e.approved_at)))
    FROM exceptions e WHERE e.approved_at IS NOT NULL
      AND (e.finding_id = f.id OR e.work_item_id = w.work_item_id)), 0)";

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<SlaPolicy> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::migrations::MIGRATIONS[0])
            .unwrap();
        conn.execute_batch(crate::migrations::MIGRATIONS[1])
            .unwrap();
        conn.execute_batch(include_str!("../migrations/0007_accountability.sql"))
            .unwrap();
        policies(&conn).unwrap()
    }

    fn facts(severity: Severity, kev: bool, inet: bool, crit: &str) -> Facts<'_> {
        Facts {
            severity,
            known_exploited: kev,
            internet_facing: inet,
            criticality: crit,
        }
    }

    #[test]
    fn the_most_restrictive_policy_applies() {
        let p = defaults();
        assert_eq!(
            allowed_days(&p, facts(Severity::Critical, false, false, "medium")),
            Some(14)
        );
        assert_eq!(
            allowed_days(&p, facts(Severity::High, false, false, "low")),
            Some(30)
        );
        assert_eq!(
            allowed_days(&p, facts(Severity::Medium, false, false, "medium")),
            Some(90)
        );
        assert_eq!(
            allowed_days(&p, facts(Severity::Low, false, false, "medium")),
            Some(180)
        );
        assert_eq!(
            allowed_days(&p, facts(Severity::Info, true, true, "critical")),
            None
        );
        // Known exploited: 7 days at any severity, even low.
        assert_eq!(
            allowed_days(&p, facts(Severity::Low, true, false, "medium")),
            Some(7)
        );
        // Internet-facing only tightens critical and high.
        assert_eq!(
            allowed_days(&p, facts(Severity::High, false, true, "medium")),
            Some(14)
        );
        assert_eq!(
            allowed_days(&p, facts(Severity::Medium, false, true, "medium")),
            Some(90)
        );
        // Critical asset + high: 14; with known exploited, 7 wins.
        assert_eq!(
            allowed_days(&p, facts(Severity::High, false, false, "critical")),
            Some(14)
        );
        assert_eq!(
            allowed_days(&p, facts(Severity::High, true, true, "critical")),
            Some(7)
        );
    }

    #[test]
    fn at_risk_means_under_a_quarter_left_or_placed_too_late() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let d = |days: i64| Some(now + Duration::days(days));
        assert_eq!(status(None, 30, now, None), SlaStatus::None);
        assert_eq!(status(d(-1), 30, now, None), SlaStatus::Breached);
        assert_eq!(status(Some(now), 30, now, None), SlaStatus::Breached);
        assert_eq!(status(d(8), 30, now, None), SlaStatus::OnTrack); // 8 of 30 left > 25%
        assert_eq!(status(d(7), 30, now, None), SlaStatus::AtRisk); // 7 of 30 < 7.5
        assert_eq!(status(d(20), 30, now, d(21)), SlaStatus::AtRisk);
        assert_eq!(status(d(20), 30, now, d(19)), SlaStatus::OnTrack);
    }
}
