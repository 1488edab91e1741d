//! Exceptions (risk acceptance) and commitments (ops' promises).
//!
//! An exception covers a finding or a whole item: a justification, a compensating control, who
//! asked, an approver who is not the requester, and an expiry. Approved, it marks the covered open
//! findings risk-accepted and pauses their SLA clock; on expiry they reopen and the clock resumes.
//!
//! A commitment promises an item's fix in its current occurrence. It is kept when the item is
//! done; when the occurrence ends first it is marked missed, and a move to another occurrence
//! withdraws it, both in the change log: a promise is never silently moved.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::ids::{new_id, utc_text};
use crate::model::Severity;
use crate::Workspace;

/// A note on an item's history about its exceptions and commitments (their own rows record
/// themselves); `by` is (actor, time), `what` (entity, id).
fn log(
    conn: &Connection,
    _by: (&str, &str),
    what: (&str, &str),
    field: &str,
    _old: Option<&str>,
    new: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    crate::changes::note(conn, what.0, what.1, field, new, reason)
}

/// What an exception covers.
pub enum Target<'a> {
    Item(&'a str),
    Finding(&'a str),
}

/// A request to accept a risk until `expires_at`.
pub struct Ask<'a> {
    pub target: Target<'a>,
    pub justification: &'a str,
    pub compensating_control: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
}

/// Asks for an exception, by `requested_by` (a person), as of `now`. The expiry must be in the
/// future and within the policy's maximum for the worst open finding it covers, and a target
/// has one exception at a time awaiting approval or in force. Returns its id.
pub fn request(
    ws: &mut Workspace,
    ask: &Ask<'_>,
    requested_by: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let justification = ask.justification.trim();
    if justification.is_empty() {
        return Err(Error::Invalid("an exception needs a justification".into()));
    }
    let actor = ws.actor().to_string();
    let at = utc_text(now);
    let tx = ws.write_tx()?;
    let Some((who, _)) = super::acting_person(&tx, requested_by)? else {
        return Err(Error::Invalid(format!(
            "'{requested_by}' is not a person of this workspace: only a person can ask for an exception (sign in as one first)"
        )));
    };
    let (item, finding) = match ask.target {
        Target::Item(i) => (Some(i), None),
        Target::Finding(f) => (None, Some(f)),
    };
    if let Some((state, until)) = standing(&tx, item, finding, &at)? {
        return Err(Error::Invalid(match state.as_str() {
            "approved" => format!("an exception is already in force until {}", day(&until)),
            _ => "an exception is already awaiting approval; approve or reject it first".into(),
        }));
    }
    check_expiry(&tx, item, finding, ask.expires_at, now)?;
    let id = new_id();
    let control = ask
        .compensating_control
        .map(str::trim)
        .filter(|c| !c.is_empty());
    crate::changes::because(&tx, justification)?;
    tx.execute(
        "INSERT INTO exceptions (id, work_item_id, finding_id, justification, compensating_control, requested_by, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, item, finding, justification, control, who, utc_text(ask.expires_at), at],
    )?;
    if let Some(i) = item {
        log(
            &tx,
            (&actor, &at),
            ("work_item", i),
            "exception",
            None,
            Some("requested"),
            Some(justification),
        )?;
    }
    tx.commit()?;
    Ok(id)
}

/// The exception awaiting approval or in force on exactly this target: (state, expiry).
fn standing(
    conn: &Connection,
    item: Option<&str>,
    finding: Option<&str>,
    at: &str,
) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row(
            "SELECT state, expires_at FROM exceptions
             WHERE state IN ('requested','approved') AND work_item_id IS ?1 AND finding_id IS ?2
               AND expires_at > ?3",
            params![item, finding, at],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The longest a new exception on the target may run: the policy of its worst open finding.
pub fn max_days(conn: &Connection, target: &Target<'_>) -> Result<(Severity, u32)> {
    let (item, finding) = match target {
        Target::Item(i) => (Some(*i), None),
        Target::Finding(f) => (None, Some(*f)),
    };
    let worst: Option<String> = conn.query_row(
        "SELECT f.severity FROM findings f
         WHERE f.status = 'open' AND (f.id = ?1 OR f.id IN (SELECT finding_id FROM work_item_findings WHERE work_item_id = ?2))
         ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END
         LIMIT 1",
        params![finding, item],
        |r| r.get(0),
    ).optional()?;
    let severity = worst
        .as_deref()
        .and_then(Severity::parse)
        .unwrap_or(Severity::Info);
    let days: u32 = conn.query_row(
        "SELECT max_days FROM exception_policies WHERE severity = ?1",
        [severity.as_str()],
        |r| r.get(0),
    )?;
    Ok((severity, days))
}

fn check_expiry(
    conn: &Connection,
    item: Option<&str>,
    finding: Option<&str>,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    if expires <= now {
        return Err(Error::Invalid(format!(
            "the expiry {} is not in the future",
            day(&utc_text(expires))
        )));
    }
    let target = match (item, finding) {
        (Some(i), _) => Target::Item(i),
        (None, Some(f)) => Target::Finding(f),
        (None, None) => unreachable!("an exception covers an item or a finding"),
    };
    let (severity, days) = max_days(conn, &target)?;
    // By day, as people ask: the last allowed day counts to its end (a plain date means 23:59:59).
    let latest = (now + Duration::days(i64::from(days)))
        .date_naive()
        .and_hms_opt(23, 59, 59)
        .expect("a valid time")
        .and_utc();
    if expires > latest {
        return Err(Error::Invalid(format!(
            "a {} risk may be accepted for {days} days at most (until {}); ask for an earlier expiry",
            severity.as_str(),
            day(&utc_text(latest))
        )));
    }
    Ok(())
}

/// The date part of a stored time, for messages.
fn day(t: &str) -> &str {
    t.get(..10).unwrap_or(t)
}

/// Approves an exception as of `now`: `approver` (a person) must not be the requester.
pub fn approve(
    ws: &mut Workspace,
    id: &str,
    approver: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let actor = ws.actor().to_string();
    let at = utc_text(now);
    let tx = ws.write_tx()?;
    let (who, item, finding, expires) = decider(&tx, id, approver, reason, "approve")?;
    if expires.as_str() <= at.as_str() {
        return Err(Error::Invalid(format!(
            "the exception's expiry {} has passed; ask for a new one",
            day(&expires)
        )));
    }
    // The item may have gained a worse finding since the request: the policy is read again.
    let until = DateTime::parse_from_rfc3339(&expires)
        .map_err(|e| Error::Invalid(format!("stored expiry '{expires}': {e}")))?
        .to_utc();
    check_expiry(&tx, item.as_deref(), finding.as_deref(), until, now)?;
    decided(
        &tx,
        (&actor, &at),
        id,
        (&who, "approved", reason),
        item.as_deref(),
    )?;
    let covered = "SELECT f.id FROM findings f WHERE f.status = 'open' AND (f.id = ?1 OR f.id IN (SELECT finding_id FROM work_item_findings WHERE work_item_id = ?2))";
    let ids: Vec<String> = tx
        .prepare(covered)?
        .query_map(params![finding, item], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    crate::changes::because(&tx, format!("exception {id}").as_str())?;
    for f in &ids {
        tx.execute(
            "UPDATE findings SET status = 'risk_accepted' WHERE id = ?1",
            [f],
        )?;
    }
    super::stats::refresh(&tx)?;
    tx.commit()?;
    Ok(())
}

/// Rejects an exception, with a reason: its findings stay open and their clock runs on.
pub fn reject(
    ws: &mut Workspace,
    id: &str,
    by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let actor = ws.actor().to_string();
    let at = utc_text(now);
    let tx = ws.write_tx()?;
    let (who, item, _, _) = decider(&tx, id, by, reason, "reject")?;
    decided(
        &tx,
        (&actor, &at),
        id,
        (&who, "rejected", reason),
        item.as_deref(),
    )?;
    tx.commit()?;
    Ok(())
}

/// Records the decision on exception `id` (`decision`: who, the new state, why), in the row and
/// in the change log of the exception and of its item.
fn decided(
    conn: &Connection,
    by: (&str, &str),
    id: &str,
    decision: (&str, &str, &str),
    item: Option<&str>,
) -> Result<()> {
    let ((actor, at), (who, state, reason)) = (by, decision);
    crate::changes::because(conn, reason)?;
    crate::changes::acting(conn, actor)?;
    conn.execute(
        "UPDATE exceptions SET state = ?2, decided_by = ?3, decided_at = ?4, decided_reason = ?5 WHERE id = ?1",
        params![id, state, who, at, reason.trim()],
    )?;
    // Only an approval pauses the findings' SLA clock (sla::CLOCK_START_SQL reads approved_at).
    if state == "approved" {
        conn.execute(
            "UPDATE exceptions SET approved_by = ?2, approved_at = ?3 WHERE id = ?1",
            params![id, who, at],
        )?;
    }
    if let Some(i) = item {
        log(
            conn,
            (actor, at),
            ("work_item", i),
            "exception",
            Some("requested"),
            Some(state),
            Some(reason),
        )?;
    }
    Ok(())
}

/// Checks that `by` may decide exception `id` now (a person, not the requester, with a reason,
/// while it awaits a decision). Returns (person id, item, finding, expiry).
fn decider(
    conn: &Connection,
    id: &str,
    by: &str,
    reason: &str,
    verb: &str,
) -> Result<(String, Option<String>, Option<String>, String)> {
    let row: Option<(String, String, Option<String>, Option<String>, String)> = conn
        .query_row(
            "SELECT requested_by, state, work_item_id, finding_id, expires_at FROM exceptions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((requester, state, item, finding, expires)) = row else {
        return Err(Error::Invalid(format!("no exception '{id}'")));
    };
    if state != "requested" {
        return Err(Error::Invalid(format!(
            "the exception is {state}, not awaiting a decision"
        )));
    }
    let Some((who, name)) = super::acting_person(conn, by)? else {
        return Err(Error::Invalid(format!(
            "'{by}' is not a person of this workspace: only a person can {verb} an exception (sign in as one first)"
        )));
    };
    if who == requester {
        return Err(Error::Invalid(format!(
            "{name} asked for this exception and cannot {verb} it: nobody decides their own request"
        )));
    }
    if reason.trim().is_empty() {
        return Err(Error::Invalid(format!("say why you {verb} the exception")));
    }
    Ok((who, item, finding, expires))
}

/// An exception as lists and item pages show it (people by name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExceptionRow {
    pub id: String,
    pub item_id: Option<String>,
    pub item_title: Option<String>,
    pub finding_id: Option<String>,
    pub justification: String,
    pub compensating_control: Option<String>,
    /// requested, approved, rejected or expired.
    pub state: String,
    pub requested_by: String,
    pub requested_by_id: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decided_reason: Option<String>,
    pub expires_at: String,
}

/// Which exceptions to list.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Those of this item (on the item or on one of its findings).
    pub item: Option<&'a str>,
    /// Only those awaiting a decision or in force that end before this instant.
    pub ending_before: Option<DateTime<Utc>>,
}

/// Exceptions, soonest expiry first.
pub fn list(conn: &Connection, filter: &Filter<'_>) -> Result<Vec<ExceptionRow>> {
    let mut stmt = conn.prepare(
        "SELECT e.id, e.work_item_id, COALESCE(i.title, fi.title), e.finding_id, e.justification,
                e.compensating_control, e.state, COALESCE(r.name, e.requested_by), e.created_at,
                d.name, e.decided_at, e.decided_reason, e.expires_at, e.requested_by
         FROM exceptions e
         LEFT JOIN work_items i ON i.id = e.work_item_id
         LEFT JOIN work_item_findings wf ON wf.finding_id = e.finding_id
         LEFT JOIN work_items fi ON fi.id = wf.work_item_id
         LEFT JOIN people r ON r.id = e.requested_by
         LEFT JOIN people d ON d.id = e.decided_by
         WHERE (?1 IS NULL OR e.work_item_id = ?1 OR wf.work_item_id = ?1)
           AND (?2 IS NULL OR (e.state IN ('requested','approved') AND e.expires_at < ?2))
         ORDER BY e.expires_at, e.created_at",
    )?;
    let ending = filter.ending_before.map(utc_text);
    let rows = stmt
        .query_map(params![filter.item, ending], |r| {
            Ok(ExceptionRow {
                id: r.get(0)?,
                item_id: r.get(1)?,
                item_title: r.get(2)?,
                finding_id: r.get(3)?,
                justification: r.get(4)?,
                compensating_control: r.get(5)?,
                state: r.get(6)?,
                requested_by: r.get(7)?,
                requested_at: r.get(8)?,
                decided_by: r.get(9)?,
                decided_at: r.get(10)?,
                decided_reason: r.get(11)?,
                expires_at: r.get(12)?,
                requested_by_id: r.get(13)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The longest exception allowed, by severity (critical first).
pub fn policies(conn: &Connection) -> Result<Vec<(Severity, u32)>> {
    let mut stmt = conn.prepare(
        "SELECT severity, max_days FROM exception_policies
         ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
        .collect::<Result<Vec<(String, u32)>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, d)| Some((Severity::parse(&s)?, d)))
        .collect())
}

/// Sets how long an exception for `severity` may run (1 to 3650 days).
pub fn set_policy(ws: &mut Workspace, severity: Severity, days: u32) -> Result<()> {
    if !(1..=3650).contains(&days) {
        return Err(Error::Invalid(format!(
            "{days} days: an exception may run from 1 to 3650 days"
        )));
    }
    let tx = ws.write_tx()?;
    tx.execute(
        "UPDATE exception_policies SET max_days = ?2 WHERE severity = ?1",
        params![severity.as_str(), days],
    )?;
    tx.commit()?;
    Ok(())
}

/// Expires approved exceptions whose expiry has passed (`at`): their risk-accepted findings
/// reopen and the clock resumes. Returns how many findings reopened.
pub fn expire(ws: &mut Workspace, now: DateTime<Utc>) -> Result<u32> {
    let actor = ws.actor().to_string();
    let tx = ws.write_tx()?;
    let n = expire_tx(&tx, &actor, &utc_text(now))?;
    super::stats::refresh(&tx)?;
    tx.commit()?;
    Ok(n)
}

pub(crate) fn expire_tx(conn: &Connection, actor: &str, at: &str) -> Result<u32> {
    crate::changes::acting(conn, actor)?;
    let due: Vec<(String, String, Option<String>, Option<String>)> = conn
        .prepare("SELECT id, expires_at, work_item_id, finding_id FROM exceptions WHERE state = 'approved' AND expires_at <= ?1")?
        .query_map([at], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut reopened = 0;
    for (id, expires, item, finding) in due {
        crate::changes::because(conn, "expiry reached")?;
        conn.execute(
            "UPDATE exceptions SET state = 'expired', ended_at = ?2 WHERE id = ?1",
            params![id, expires],
        )?;
        // Reopen what it covered, unless another approved exception still covers it.
        let ids: Vec<String> = conn
            .prepare(
                "SELECT f.id FROM findings f WHERE f.status = 'risk_accepted'
                   AND (f.id = ?1 OR f.id IN (SELECT finding_id FROM work_item_findings WHERE work_item_id = ?2))
                   AND NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.state = 'approved' AND (e.finding_id = f.id
                        OR e.work_item_id IN (SELECT work_item_id FROM work_item_findings WHERE finding_id = f.id)))",
            )?
            .query_map(params![finding, item], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        crate::changes::because(conn, format!("exception {id} expired").as_str())?;
        for f in &ids {
            conn.execute("UPDATE findings SET status = 'open' WHERE id = ?1", [f])?;
        }
        reopened += ids.len() as u32;
    }
    Ok(reopened)
}

/// Ops promise to fix `item` in the occurrence it is scheduled on. Returns the commitment's id.
pub fn commit(ws: &mut Workspace, item: &str, person: &str, promise: &str) -> Result<String> {
    let actor = ws.actor().to_string();
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    let who = super::person_id(&tx, person)?;
    let placed: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT window_id, occurrence_start FROM work_items WHERE id = ?1",
            [item],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((Some(window), Some(start))) = placed else {
        return Err(Error::Invalid(
            "only a scheduled item can be promised".into(),
        ));
    };
    let id = new_id();
    tx.execute(
        "INSERT INTO commitments (id, work_item_id, window_id, occurrence_start, committed_by, committed_at, promise) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, item, window, start, who, at, promise],
    )?;
    log(
        &tx,
        (&actor, &at),
        ("work_item", item),
        "commitment",
        None,
        Some(&format!("{window} @ {start}: {promise}")),
        Some(promise),
    )?;
    tx.commit()?;
    Ok(id)
}

pub(crate) fn withdraw_commitments(
    conn: &Connection,
    item: &str,
    actor: &str,
    at: &str,
    reason: &str,
) -> Result<()> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM commitments WHERE work_item_id = ?1 AND state = 'open'")?
        .query_map([item], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        conn.execute(
            "UPDATE commitments SET state = 'withdrawn' WHERE id = ?1",
            [&id],
        )?;
        log(
            conn,
            (actor, at),
            ("work_item", item),
            "commitment",
            Some(&id),
            Some("withdrawn"),
            Some(reason),
        )?;
    }
    Ok(())
}

/// Marks open commitments whose occurrence has ended (start + window duration <= `at`) without
/// the item done as missed, in the change log. Returns how many.
pub fn mark_missed(conn: &Connection, actor: &str, at: &str) -> Result<u32> {
    let ids: Vec<(String, String)> = conn
        .prepare(
            "SELECT c.id, c.work_item_id FROM commitments c JOIN change_windows w ON w.id = c.window_id
             JOIN work_items i ON i.id = c.work_item_id
             WHERE c.state = 'open' AND i.state NOT IN ('done','verified')
               AND julianday(c.occurrence_start) + w.duration_min / 1440.0 <= julianday(?1)",
        )?
        .query_map([at], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, item) in &ids {
        conn.execute(
            "UPDATE commitments SET state = 'missed' WHERE id = ?1",
            [id],
        )?;
        log(
            conn,
            (actor, at),
            ("work_item", item),
            "commitment",
            Some(id),
            Some("missed"),
            Some("the occurrence ended before the item was done"),
        )?;
    }
    Ok(ids.len() as u32)
}
