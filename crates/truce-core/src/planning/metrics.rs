//! Planning metrics: SLA compliance, mean time to remediate, open risk by team.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::sla::{self, Facts};
use super::types::{PlanningMetrics, SlaStatus, TeamRisk};
use crate::error::Result;
use crate::model::Severity;

/// As of `at`. Compliance: of the fixed findings that have an SLA, the share fixed within their
/// allowed days (counted from first seen; exception pauses are not subtracted here). Mean time to
/// remediate: the mean of closed_at - first_seen over fixed findings, in days. Open risk: per
/// item team, open findings in items and how many items are breached or at risk.
pub fn metrics(conn: &Connection, at: DateTime<Utc>) -> Result<PlanningMetrics> {
    let policies = sla::policies(conn)?;
    let mut stmt = conn.prepare(
        "SELECT f.severity, v.known_exploited, a.internet_facing, a.criticality,
                CAST(d AS INTEGER) + (d > CAST(d AS INTEGER)) AS days, count(*), total(d)
         FROM (SELECT *, julianday(closed_at) - julianday(first_seen) AS d FROM findings) f JOIN vulnerabilities v ON v.id = f.vulnerability_id JOIN assets a ON a.id = f.asset_id
         WHERE f.status = 'fixed' AND f.closed_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5",
    )?;
    let (mut with_sla, mut within, mut fixed, mut total_days) = (0u64, 0u64, 0u64, 0f64);
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let severity = Severity::parse(&r.get::<_, String>(0)?).unwrap_or(Severity::Info);
        let crit: String = r.get(3)?;
        let days: i64 = r.get(4)?;
        let n: u64 = r.get::<_, i64>(5)? as u64;
        fixed += n;
        total_days += r.get::<_, f64>(6)?;
        let facts = Facts {
            severity,
            known_exploited: r.get(1)?,
            internet_facing: r.get(2)?,
            criticality: &crit,
        };
        if let Some(allowed) = sla::allowed_days(&policies, facts) {
            with_sla += n;
            if days <= allowed as i64 {
                within += n;
            }
        }
    }
    let mut teams: BTreeMap<Option<String>, TeamRisk> = BTreeMap::new();
    for c in super::items::list_items(conn, at)? {
        let t = teams.entry(c.team.clone()).or_insert_with(|| TeamRisk {
            team: c.team.clone(),
            open_findings: 0,
            breached_items: 0,
            at_risk_items: 0,
        });
        t.open_findings += c.findings - c.findings_fixed;
        match c.sla {
            SlaStatus::Breached => t.breached_items += 1,
            SlaStatus::AtRisk => t.at_risk_items += 1,
            _ => {}
        }
    }
    Ok(PlanningMetrics {
        sla_compliance: (with_sla > 0).then(|| within as f64 / with_sla as f64),
        fixed_with_sla: with_sla as u32,
        mean_days_to_remediate: (fixed > 0).then(|| total_days / fixed as f64),
        open_risk_by_team: teams.into_values().collect(),
    })
}
